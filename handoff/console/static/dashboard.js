// The supervisor dashboard: live queue figures every 10 s, a period's report on demand.
//
// Every number on the page is an element with data-metric="<section>.<key>" (the path
// of the figure in the API's JSON) and data-value (the raw value, "null" when there
// is none); rows of the tables carry data-row (the group key, agent id or
// "<type>:<reason>"). So a test can compare what is shown with what the API said.
// Text goes in with textContent only; charts are drawn by Chart.js (vendor/).

import { ApiError, get } from "./api.js";
import { t, has, translatePage } from "./dashboard-i18n.js";
import { el } from "./dom.js";
import { groupLabel } from "./i18n.js";

const LIVE_MS = 10000;
const GROUP_KEYS = ["presale", "logistics", "after_sales", "complaints"];
const DEFAULT_ZONE = "Asia/Shanghai";
const TOP_INTENTS = 10;
const COLORS = ["#0b5cd5", "#f08c00", "#1b6e35", "#b3261e", "#7a1460", "#0a7b83", "#6b4300", "#555d68"];

const state = { range: "30", from: null, to: null, group: "", zone: DEFAULT_ZONE, charts: {},
                reportSeq: 0, liveTimer: null, blocked: false };
const $ = (id) => document.getElementById(id);

// ------------------------------------------------------------ formatting

const number = new Intl.NumberFormat(document.documentElement.lang || "zh-CN");
const missing = (value) => value === null || value === undefined || Number.isNaN(Number(value));

const FORMATS = {
  count: (v) => (missing(v) ? t("noValue") : number.format(Number(v))),
  // 0.8333 → "83.3%", 1 → "100%"
  percent: (v) => (missing(v) ? t("noValue") : `${Math.round(Number(v) * 1000) / 10}%`),
  // 83 → "1分23秒"
  duration: (v) => {
    if (missing(v)) return t("noValue");
    const s = Math.max(0, Math.round(Number(v)));
    if (s < 60) return t("durSeconds", { s });
    if (s < 3600) return t("durMinutes", { m: Math.floor(s / 60), s: s % 60 });
    return t("durHours", { h: Math.floor(s / 3600), m: Math.floor((s % 3600) / 60) });
  },
  score: (v) => (missing(v) ? t("noValue") : t("points", { n: Number(v).toFixed(1) })),
};

function setMetric(node, path, value, kind) {
  node.dataset.metric = path;
  node.dataset.value = value === null || value === undefined ? "null" : String(value);
  node.textContent = FORMATS[kind](value);
  return node;
}

const show = (id, path, value, kind) => setMetric($(id), path, value, kind);
const cell = (path, value, kind) => setMetric(el("td", { class: "num" }), path, value, kind);

// ------------------------------------------------------------ messages

function toast(message) {
  const box = el("div", { class: "toast error", role: "alert", text: message });
  $("toasts").append(box);
  setTimeout(() => box.remove(), 6000);
}

function errorText(error) {
  if (!(error instanceof ApiError)) return t("err_generic", { status: "?" });
  if (has("err_" + error.code)) return t("err_" + error.code);
  // The server's message is "中文 / English": the Chinese part reads best here.
  if (error.message && error.message !== error.code) return error.message.split(" / ")[0];
  return t("err_generic", { status: error.status });
}

// Signed out, or not a supervisor: nothing to show but the way back.
function block(error) {
  const key = error instanceof ApiError && error.status === 403 ? "dbSupervisorsOnly" : "dbSignInFirst";
  state.blocked = true;
  clearInterval(state.liveTimer);
  $("db-main").hidden = true;
  $("db-blocked-text").textContent = t(key);
  $("db-blocked").hidden = false;
}

const refused = (error) => error instanceof ApiError && (error.status === 401 || error.status === 403);

// ------------------------------------------------------------ live

async function loadLive() {
  if (state.blocked || document.hidden) return;
  try {
    renderLive(await get("/dashboard/live"));
  } catch (error) {
    if (refused(error)) block(error);
    // Other failures: the next tick tries again, without a toast every 10 s.
  }
}

function renderLive(live) {
  show("live-waiting", "live.waiting", live.waiting, "count");
  show("live-active", "live.active", live.active, "count");
  show("live-left", "live.left_message", live.left_message, "count");
  show("live-longest", "live.longest_wait_seconds", live.longest_wait_seconds, "duration");
  show("live-online", "live.agents.online", live.agents.online, "count");
  show("live-busy", "live.agents.busy", live.agents.busy, "count");
  show("live-away", "live.agents.away", live.agents.away, "count");
  $("live-groups").replaceChildren(...live.by_group.map((row) => el("tr", { "data-row": row.group },
    el("th", { scope: "row", text: groupLabel(row.group, row.name) }),
    cell("live.by_group.waiting", row.waiting, "count"),
    cell("live.by_group.online", row.online, "count"))));
  $("live-updated").textContent = t("dbUpdatedAt", { time: new Date().toLocaleTimeString() });
}

// ------------------------------------------------------------ period

// Today in the merchant's zone as YYYY-MM-DD: the server counts days there, not here.
function todayIn(zone) {
  const parts = new Intl.DateTimeFormat("en-US", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit" })
    .formatToParts(new Date());
  const part = (type) => parts.find((p) => p.type === type).value;
  return `${part("year")}-${part("month")}-${part("day")}`;
}

function daysBefore(day, n) {
  const date = new Date(day + "T00:00:00Z");
  date.setUTCDate(date.getUTCDate() - n);
  return date.toISOString().slice(0, 10);
}

function queryString() {
  const params = new URLSearchParams();
  if (state.from) params.set("from", state.from);
  if (state.to) params.set("to", state.to);
  if (state.group) params.set("group", state.group);
  return params.toString();
}

function setRange(range) {
  state.range = range;
  for (const button of document.querySelectorAll("[data-range]")) {
    button.setAttribute("aria-pressed", String(button.dataset.range === range));
  }
  $("custom-range").hidden = range !== "custom";
  if (range === "custom") {
    $("from-date").value = state.from || "";
    $("to-date").value = state.to || "";
    $("from-date").focus();
    return;
  }
  state.to = todayIn(state.zone);
  state.from = daysBefore(state.to, Number(range) - 1);
  loadReport();
}

function applyCustom(event) {
  event.preventDefault();
  const from = $("from-date").value;
  const to = $("to-date").value;
  if (!from || !to) return reportError(t("err_invalid_date"));
  if (from > to) return reportError(t("err_invalid_range"));
  state.from = from;
  state.to = to;
  loadReport();
}

function reportError(message) {
  const box = $("report-error");
  box.textContent = message || "";
  box.hidden = !message;
}

// ------------------------------------------------------------ report

async function loadReport() {
  const seq = ++state.reportSeq;
  const query = queryString();
  $("export-csv").href = "/console/api/dashboard/export.csv" + (query ? "?" + query : "");
  $("kpis").setAttribute("aria-busy", "true");
  try {
    const report = await get("/dashboard/report" + (query ? "?" + query : ""));
    if (seq !== state.reportSeq) return;   // a newer query was asked meanwhile
    reportError("");
    renderReport(report);
  } catch (error) {
    if (seq !== state.reportSeq) return;
    if (refused(error)) block(error);
    else reportError(errorText(error));
  } finally {
    if (seq === state.reportSeq) $("kpis").setAttribute("aria-busy", "false");
  }
}

function renderReport(report) {
  const q = report.query || {};
  if (q.timezone) state.zone = q.timezone;
  if (q.from) state.from = q.from;
  if (q.to) state.to = q.to;
  $("period-text").textContent = q.from ? t("dbPeriodText", { from: q.from, to: q.to, days: q.days, zone: q.timezone }) : "";
  renderKpis(report);
  renderCharts(report);
  renderGroups(report.groups || []);
  renderAgents(report.agents || []);
  renderAfterSales(report.after_sales || []);
}

function renderKpis({ volume, containment, escalation, response, csat, queue }) {
  show("kpi-conversations", "volume.conversations", volume.conversations, "count");
  show("kpi-messages-in", "volume.messages_in", volume.messages_in, "count");
  show("kpi-containment", "containment.rate", containment.rate, "percent");
  show("kpi-contained", "containment.contained", containment.contained, "count");
  show("kpi-escalation", "escalation.rate", escalation.rate, "percent");
  show("kpi-escalated", "escalation.escalated", escalation.escalated, "count");
  show("kpi-first-response", "response.first_response_avg", response.first_response_avg, "duration");
  show("kpi-first-response-p90", "response.first_response_p90", response.first_response_p90, "duration");
  show("kpi-within3", "response.within_3min_rate", response.within_3min_rate, "percent");
  show("kpi-within3-count", "response.within_3min", response.within_3min, "count");
  show("kpi-csat", "csat.csat", csat.csat, "percent");
  show("kpi-ratings", "csat.ratings", csat.ratings, "count");
  show("kpi-average", "csat.average", csat.average, "score");
  show("kpi-abandonment", "queue.abandonment_rate", queue.abandonment_rate, "percent");
  show("kpi-wait-avg", "queue.wait_avg", queue.wait_avg, "duration");
}

function emptyRow(columns) {
  return el("tr", {}, el("td", { class: "empty", colspan: String(columns), text: t("dbNoData") }));
}

function renderGroups(rows) {
  $("groups-table").replaceChildren(...(rows.length ? rows.map((row) => el("tr", { "data-row": row.group },
    el("th", { scope: "row", text: groupLabel(row.group, row.name) }),
    cell("groups.handoffs", row.handoffs, "count"),
    cell("groups.abandonment_rate", row.abandonment_rate, "percent"),
    cell("groups.wait_avg", row.wait_avg, "duration"),
    cell("groups.first_response_avg", row.first_response_avg, "duration"),
    cell("groups.within_3min_rate", row.within_3min_rate, "percent"),
    cell("groups.csat", row.csat, "percent"))) : [emptyRow(7)]));
}

function renderAgents(rows) {
  $("agents-table").replaceChildren(...(rows.length ? rows.map((row) => el("tr", { "data-row": row.agent_id },
    el("th", { scope: "row", text: row.name && row.name !== row.agent_id ? `${row.name}（${row.agent_id}）` : row.agent_id }),
    cell("agents.assigned", row.assigned, "count"),
    cell("agents.resolved", row.resolved, "count"),
    cell("agents.messages", row.messages, "count"),
    cell("agents.first_response_avg", row.first_response_avg, "duration"),
    cell("agents.reply_avg", row.reply_avg, "duration"),
    cell("agents.within_3min_rate", row.within_3min_rate, "percent"),
    cell("agents.handle_avg", row.handle_avg, "duration"),
    cell("agents.ratings", row.ratings, "count"),
    cell("agents.csat", row.csat, "percent"))) : [emptyRow(10)]));
}

function renderAfterSales(rows) {
  $("after-sales-table").replaceChildren(...(rows.length ? rows.map((row) => el("tr", { "data-row": `${row.type}:${row.reason}` },
    el("td", { text: has("type_" + row.type) ? t("type_" + row.type) : String(row.type ?? "") }),
    el("td", { text: String(row.reason_label ?? row.reason ?? t("noValue")) }),
    cell("after_sales.count", row.count, "count"))) : [emptyRow(3)]));
}

// ------------------------------------------------------------ charts

function draw(id, config) {
  const Chart = window.Chart;
  if (!Chart) return;   // the library did not load: the tables and tiles still work
  const existing = state.charts[id];
  if (existing) {
    existing.data = config.data;
    existing.update();
    return;
  }
  state.charts[id] = new Chart($(id), config);
}

const axes = (extra = {}) => ({ y: { beginAtZero: true, ticks: { precision: 0 } }, ...extra });

function renderCharts(report) {
  const days = report.volume.by_day || [];
  draw("chart-volume", {
    type: "bar",
    data: {
      labels: days.map((d) => d.day.slice(5)),
      datasets: [
        { type: "bar", label: t("seriesConversations"), data: days.map((d) => d.conversations),
          backgroundColor: COLORS[0], yAxisID: "y", order: 2 },
        { type: "line", label: t("seriesMessagesIn"), data: days.map((d) => d.messages_in),
          borderColor: COLORS[1], backgroundColor: COLORS[1], yAxisID: "y1", tension: 0.25, order: 1 },
      ],
    },
    options: { responsive: true, maintainAspectRatio: false, interaction: { mode: "index", intersect: false },
               scales: axes({ y1: { beginAtZero: true, position: "right", grid: { drawOnChartArea: false },
                                    ticks: { precision: 0 } } }) },
  });

  const byHour = new Map((report.volume.by_hour || []).map((h) => [h.hour, h.messages_in]));
  const hours = Array.from({ length: 24 }, (_, h) => h);
  draw("chart-hours", {
    type: "bar",
    data: { labels: hours.map((h) => t("hourLabel", { h })),
            datasets: [{ label: t("seriesMessagesIn"), data: hours.map((h) => byHour.get(h) || 0),
                         backgroundColor: COLORS[5] }] },
    options: { responsive: true, maintainAspectRatio: false, plugins: { legend: { display: false } }, scales: axes() },
  });

  const intents = (report.intents || []).slice(0, TOP_INTENTS);
  $("chart-intents-empty").hidden = intents.length > 0;
  draw("chart-intents", {
    type: "bar",
    data: { labels: intents.map((row) => row.label || row.intent),
            datasets: [{ label: t("seriesCount"), data: intents.map((row) => row.count), backgroundColor: COLORS[0],
                         shares: intents.map((row) => row.share) }] },
    options: { indexAxis: "y", responsive: true, maintainAspectRatio: false,
               plugins: { legend: { display: false }, tooltip: { callbacks: { label: withShare } } },
               scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } },
  });

  const reasons = report.escalation.by_reason || [];
  $("chart-reasons-empty").hidden = reasons.length > 0;
  draw("chart-reasons", {
    type: "doughnut",
    data: { labels: reasons.map((row) => row.label || row.reason),
            datasets: [{ label: t("seriesCount"), data: reasons.map((row) => row.count),
                         backgroundColor: reasons.map((_, i) => COLORS[i % COLORS.length]),
                         shares: reasons.map((row) => row.share) }] },
    options: { responsive: true, maintainAspectRatio: false,
               plugins: { legend: { position: "right" }, tooltip: { callbacks: { label: withShare } } } },
  });

  const distribution = report.csat.distribution || {};
  const stars = ["1", "2", "3", "4", "5"];
  draw("chart-csat", {
    type: "bar",
    data: { labels: stars.map((n) => t("stars", { n })),
            datasets: [{ label: t("seriesRatings"), data: stars.map((n) => distribution[n] || 0),
                         backgroundColor: ["#b3261e", "#f08c00", "#c9cdd4", "#5b9cf0", "#1b6e35"] }] },
    options: { responsive: true, maintainAspectRatio: false, plugins: { legend: { display: false } }, scales: axes() },
  });
}

// Tooltip line "12（35.3%）": the count with its share of the whole.
function withShare(context) {
  const share = (context.dataset.shares || [])[context.dataIndex];
  const count = FORMATS.count(context.raw);
  return missing(share) ? count : `${count}（${FORMATS.percent(share)}）`;
}

// ------------------------------------------------------------ start

async function start() {
  translatePage();
  if (window.Chart) {
    window.Chart.defaults.font.family = getComputedStyle(document.documentElement).fontFamily;
    window.Chart.defaults.color = "#4e5969";
  }
  $("group-filter").append(...GROUP_KEYS.map((key) => el("option", { value: key, text: groupLabel(key) })));
  for (const button of document.querySelectorAll("[data-range]")) {
    button.addEventListener("click", () => setRange(button.dataset.range));
  }
  $("filters").addEventListener("submit", applyCustom);
  $("group-filter").addEventListener("change", (event) => {
    state.group = event.target.value;
    loadReport();
  });
  document.addEventListener("visibilitychange", loadLive);

  let me;
  try {
    me = await get("/me");
  } catch (error) {
    if (refused(error)) block(error);
    else toast(errorText(error));
    return;
  }
  if (me.user.role !== "supervisor") {
    block(new ApiError(403, "forbidden"));
    return;
  }
  $("me-name").textContent = `${me.user.name}（${me.user.login}）`;
  $("db-main").hidden = false;
  setRange("30");
  loadLive();
  state.liveTimer = setInterval(loadLive, LIVE_MS);
}

start();

// The agent console. Everything from the server is put in the page with textContent
// (never innerHTML): shopper text is hostile input.

import { ApiError, get, post, setCsrf, ticketPath } from "./api.js";
import { renderContext } from "./context.js";
import { el, sentimentKind } from "./dom.js";
import { groupLabel, reasonLabel, t, translatePage } from "./i18n.js";
import { connectLive, disconnectLive, openChat, setUpComposer } from "./livechat.js";
import { showOrderActions } from "./orderactions.js";
import { showQuickReplies } from "./quickreplies.js";
import { t as reviewT } from "./review-i18n.js";

// The socket pushes every queue change; polling only backs it up if the socket is down.
const POLL_MS = 10000;
const HEARTBEAT_MS = 10000;
const GROUP_KEYS = ["presale", "logistics", "after_sales", "complaints"];

const state = { user: null, selected: null, ticket: null, queue: [], chats: [], timers: [] };
const $ = (id) => document.getElementById(id);

// ------------------------------------------------------------ toasts and errors

function toast(message, kind = "ok") {
  const box = el("div", { class: "toast " + kind, text: message });
  if (kind === "error") box.setAttribute("role", "alert");
  $("toasts").append(box);
  setTimeout(() => box.remove(), kind === "error" ? 6000 : 3000);
}

function errorText(error) {
  if (!(error instanceof ApiError)) return t("err_generic", { status: "?" });
  const key = "err_" + error.code;
  const text = t(key);
  if (text !== key) return text;
  // Unknown code: the server's message is "中文 / English"; show the Chinese part.
  if (error.message && error.message !== error.code) return error.message.split(" / ")[0];
  return t("err_generic", { status: error.status });
}

async function attempt(work, success) {
  try {
    const result = await work();
    if (success) toast(success);
    return result;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      signedOut(t("sessionExpired"));
    } else {
      toast(errorText(error), "error");
    }
    return undefined;
  }
}

// ------------------------------------------------------------ formatting

function duration(total) {
  const s = Math.max(0, Math.floor(total || 0));
  if (s < 60) return t("seconds", { s });
  if (s < 3600) return t("minutes", { m: Math.floor(s / 60), s: s % 60 });
  return t("hours", { h: Math.floor(s / 3600), m: Math.floor((s % 3600) / 60) });
}

function sentimentChip(sentiment) {
  const kind = sentimentKind(sentiment);
  if (!kind) return null;
  const score = Number(sentiment.score);
  const text = t(kind) + (Number.isNaN(score) ? "" : " " + score.toFixed(2));
  return el("span", { class: "chip " + kind, text, title: t("sentimentTrend") });
}

// ------------------------------------------------------------ sign in and out

function showLogin() {
  $("console-view").hidden = true;
  $("login-view").hidden = false;
  $("login-name").focus();
}

function loginError(message) {
  const box = $("login-error");
  box.textContent = message;
  box.hidden = !message;
}

async function onLogin(event) {
  event.preventDefault();
  const login = $("login-name").value.trim();
  const password = $("login-password").value;
  if (!login || !password) {
    loginError(t("err_invalid_field"));
    return;
  }
  const button = $("login-submit");
  button.disabled = true;
  button.textContent = t("signingIn");
  try {
    const data = await post("/login", { login, password });
    loginError("");
    $("login-password").value = "";
    signedIn(data);
  } catch (error) {
    loginError(errorText(error));
    $("login-password").select();
  } finally {
    button.disabled = false;
    button.textContent = t("signIn");
  }
}

function signedIn(data) {
  // Trainers take no chats: their console is the review inbox.
  if (data.user.role === "trainer") return location.assign("/console/review");
  setCsrf(data.csrf_token);
  state.user = data.user;
  $("me-name").textContent = `${data.user.name}（${data.user.login}）`;
  $("dashboard-link").hidden = data.user.role !== "supervisor";
  $("review-link").hidden = !["trainer", "supervisor"].includes(data.user.role);
  $("conversations-link").hidden = !["trainer", "supervisor"].includes(data.user.role);
  if (data.presence) $("presence-status").value = data.presence.status === "away" ? "away" : "online";
  $("login-view").hidden = true;
  $("console-view").hidden = false;
  stopTimers();
  refresh();
  state.timers.push(setInterval(refresh, POLL_MS));
  state.timers.push(setInterval(heartbeat, HEARTBEAT_MS));
  connectLive({
    onQueue: soonRefresh,
    onTicketChanged: (event) => { if (event.type !== "position") select(state.selected); },
    onSent: (ticket) => { if (ticket.state !== "active") soonRefresh(); },
    onError: (error) => toast(errorText(error), "error"),
    onState: (live) => { document.body.dataset.live = live; },
  });
}

let refreshTimer = null;

// Events come in bursts (a claim moves every position behind it): one refresh per burst.
function soonRefresh() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(refresh, 100);
}

function stopTimers() {
  state.timers.forEach(clearInterval);
  state.timers = [];
}

function signedOut(message) {
  stopTimers();
  disconnectLive();
  setCsrf(null);
  state.user = null;
  select(null);
  if (message) toast(message, "error");
  showLogin();
}

async function logout() {
  try {
    await post("/logout");
  } catch (_) {
    // Signed out locally either way.
  }
  signedOut();
}

async function heartbeat(status) {
  const body = typeof status === "string" ? { status } : {};
  const data = await attempt(() => post("/heartbeat", body));
  if (data && data.presence) $("presence-status").value = data.presence.status === "away" ? "away" : "online";
}

// ------------------------------------------------------------ queue and my chats

let refreshing = false;

async function refresh() {
  if (refreshing || !state.user) return;
  refreshing = true;
  try {
    const [queue, chats] = await Promise.all([get("/queue"), get("/chats")]);
    state.queue = queue.tickets;
    state.chats = chats.chats;
    renderLists();
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) signedOut(t("sessionExpired"));
    // Other polling failures are retried on the next tick without a toast storm.
  } finally {
    refreshing = false;
  }
}

function itemFor(row, buttons) {
  const line = el("div", { class: "line" },
    el("span", { class: "badge group", text: groupLabel(row.group, row.group_name) }),
    el("span", { class: "badge reason", text: reasonLabel(row.reason, row.reason_label) }),
    row.vip ? el("span", { class: "badge vip", text: t("vip") }) : null);
  const meta = el("div", { class: "meta" },
    el("span", { text: t("waited", { time: duration(row.wait_seconds) }) }),
    document.createTextNode(" · "),
    el("span", { text: t("priority", { value: row.priority }) }));
  const item = el("li", { class: "item" + (row.ticket_id === state.selected ? " selected" : ""),
                          "data-ticket": row.ticket_id }, line, meta);
  if (row.state && row.state !== "waiting" && row.state !== "left_message") {
    line.append(el("span", { class: "badge", text: t(row.state) }));
  }
  item.append(el("div", { class: "buttons" }, ...buttons));
  return item;
}

function renderLists() {
  const focused = document.activeElement;
  const focusKey = focused && focused.dataset ? focused.dataset.focusKey : null;

  const queueList = $("queue-list");
  queueList.replaceChildren(...state.queue.map((row) => itemFor(row, [
    el("button", { type: "button", class: "primary", text: t("claim"), "data-focus-key": "claim:" + row.ticket_id,
                   "aria-label": `${t("claim")} ${reasonLabel(row.reason, row.reason_label)}`,
                   onclick: () => claim(row.ticket_id) }),
    el("button", { type: "button", text: t("open"), "data-focus-key": "open:" + row.ticket_id,
                   onclick: () => select(row.ticket_id) }),
  ])));
  if (!state.queue.length) queueList.append(el("li", { class: "empty", text: t("queueEmpty") }));

  const chatList = $("chat-list");
  chatList.replaceChildren(...state.chats.map((row) => itemFor(row, [
    row.state === "offered"
      ? el("button", { type: "button", class: "primary", text: t("accept"), "data-focus-key": "accept:" + row.ticket_id,
                       onclick: () => claim(row.ticket_id) })
      : null,
    el("button", { type: "button", text: t("open"), "data-focus-key": "open:" + row.ticket_id,
                   onclick: () => select(row.ticket_id) }),
  ])));
  if (!state.chats.length) chatList.append(el("li", { class: "empty", text: t("chatsEmpty") }));

  // Polling rebuilds the lists: keep keyboard focus on the same button.
  if (focusKey) {
    const again = document.querySelector(`[data-focus-key="${CSS.escape(focusKey)}"]`);
    if (again) again.focus();
  }
}

async function claim(ticketId) {
  const data = await attempt(() => post(ticketPath(ticketId) + "/claim"), t("claimed"));
  await refresh();
  if (data) select(ticketId);
}

async function takeNext() {
  const data = await attempt(() => post("/next"), t("claimed"));
  await refresh();
  if (data) select(data.ticket.ticket_id);
}

// ------------------------------------------------------------ one chat

async function select(ticketId) {
  state.selected = ticketId;
  state.ticket = null;
  for (const item of document.querySelectorAll(".item")) {
    item.classList.toggle("selected", item.dataset.ticket === ticketId);
  }
  if (!ticketId) {
    renderTicket(null);
    openChat(null, false);
    return;
  }
  const [detail, notes] = await Promise.all([
    attempt(() => get(ticketPath(ticketId))),
    attempt(() => get(ticketPath(ticketId) + "/notes")),
  ]);
  if (state.selected !== ticketId) return;   // another chat was picked meanwhile
  state.ticket = detail ? detail.ticket : null;
  renderTicket(state.ticket, notes ? notes.notes : []);
  await openChat(state.ticket, mine(state.ticket));
}

function mine(ticket) {
  return ticket && state.user && ticket.agent_id === state.user.login &&
    ["assigned", "active"].includes(ticket.state);
}

function renderTicket(ticket, notes = []) {
  $("no-chat").hidden = !!ticket;
  $("chat-view").hidden = !ticket;
  $("context-view").hidden = !ticket;
  if (!ticket) return;

  // "投诉 · 投诉" says nothing twice: the reason is left out when it names the group.
  const title = [groupLabel(ticket.group, ticket.group_name), reasonLabel(ticket.reason, ticket.reason_label),
                 ticket.shopper_id || t("visitor")];
  $("chat-title").textContent = [...new Set(title)].join(" · ");

  $("transcript").replaceChildren(...ticket.transcript.map((turn) => {
    const shopper = turn.sender === "shopper";
    const item = el("li", { class: "turn " + (shopper ? "shopper" : "bot") },
      el("div", { class: "who", text: shopper ? t("shopper") : t("bot") }),
      el("div", { class: "text", text: turn.text }));
    if (shopper) {
      const signals = el("div", { class: "signals" });
      if (turn.intent) signals.append(el("span", { class: "intent", text: `${t("intent")}: ${turn.intent_label || turn.intent}`,
                                                               title: turn.intent }));
      if (typeof turn.confidence === "number") {
        signals.append(el("span", { class: "confidence",
                                    text: `${t("confidence")}: ${Math.round(turn.confidence * 100)}%` }));
      }
      const chip = sentimentChip(turn.sentiment);
      if (chip) signals.append(chip);
      item.append(signals);
    }
    return item;
  }));

  renderContext(ticket);
  renderNotes(notes);

  const held = mine(ticket);
  $("not-yours").hidden = held;
  for (const control of document.querySelectorAll("#actions button, #actions select, #actions input")) {
    control.disabled = !held;
  }
  $("transfer-groups").replaceChildren(...GROUP_KEYS.filter((g) => g !== ticket.group)
    .map((g) => el("option", { value: "group:" + g, text: groupLabel(g) })));
  $("transfer-agents").replaceChildren();
  if (held) loadColleagues(ticket.ticket_id);

  const tools = { user: state.user, held, attempt, errorText, toast };
  showQuickReplies(ticket, tools);
  showOrderActions(ticket, tools);
}

function renderNotes(notes) {
  $("notes").replaceChildren(...(notes.length ? notes.map((n) => el("li", {},
    el("div", { class: "author", text: `${n.author.name} · ${new Date(n.created_at).toLocaleString()}` }),
    el("div", { class: "body", text: n.body }))) : [el("li", { class: "muted", text: t("none") })]));
}

async function addNote(event) {
  event.preventDefault();
  const id = state.selected;
  const body = $("note-body").value.trim();
  if (!id || !body) return;
  const saved = await attempt(() => post(ticketPath(id) + "/notes", { body }), t("noteSaved"));
  if (!saved) return;
  $("note-body").value = "";
  const notes = await attempt(() => get(ticketPath(id) + "/notes"));
  if (notes && state.selected === id) renderNotes(notes.notes);
}

async function finish(path, body, message) {
  const id = state.selected;
  if (!id) return;
  const done = await attempt(() => post(ticketPath(id) + path, body), message);
  await refresh();
  if (done) select(null);
  else select(id);   // show the ticket's current state after a refusal
}

// Colleagues online now, for "transfer to a person"; full ones are listed but disabled.
async function loadColleagues(ticketId) {
  const data = await attempt(() => get("/colleagues"));
  if (!data || state.selected !== ticketId) return;
  $("transfer-agents").replaceChildren(...data.colleagues.map((c) => el("option", {
    value: "agent:" + c.login, text: t("colleague", { name: c.name, load: c.load, max: c.max_chats }),
    ...(c.load >= c.max_chats ? { disabled: "" } : {}) })));
}

function transfer(event) {
  event.preventDefault();
  const select = $("transfer-group");
  const [kind, target] = select.value.split(/:(.*)/s);
  const note = $("transfer-note").value.trim();
  const body = kind === "agent" ? { agent: target } : { group: target };
  if (note) body.note = note;
  const label = kind === "agent" ? select.selectedOptions[0].textContent : groupLabel(target);
  finish("/transfer", body, t("transferred", { group: label })).then(() => { $("transfer-note").value = ""; });
}

// ------------------------------------------------------------ start

async function start() {
  translatePage();
  $("review-link").textContent = reviewT("rvLink");
  $("login-form").addEventListener("submit", onLogin);
  $("logout").addEventListener("click", logout);
  $("take-next").addEventListener("click", takeNext);
  $("note-form").addEventListener("submit", addNote);
  $("transfer-form").addEventListener("submit", transfer);
  $("resolve").addEventListener("click", () => finish("/resolve", {}, t("resolved")));
  $("release").addEventListener("click", () => finish("/release", {}, t("released")));
  $("presence-status").addEventListener("change", (e) => heartbeat(e.target.value));
  setUpComposer();
  try {
    signedIn(await get("/me"));
  } catch (_) {
    showLogin();
  }
}

start();

// The context column: what the bot learned before the handoff, there as soon as a chat
// opens. The summary first, then why the bot gave up, the shopper's latest intents and
// sentiment trend, what they told the bot, their orders with the parcel's latest
// event, and their earlier handoffs. Sizes come from classes only: the page's CSP
// allows no inline styles.

import { el, sentimentKind } from "./dom.js";
import { codeLabel, reasonLabel, t } from "./i18n.js";

const TREND_LEVELS = 4;   // bar heights .lvl-0 … .lvl-4 in console.css
const $ = (id) => document.getElementById(id);

export function renderContext(ticket) {
  $("ctx-summary").textContent = ticket.summary || "";
  $("ctx-reason").textContent = reasonLabel(ticket.reason, ticket.reason_label);
  const note = $("ctx-transfer-note");
  note.textContent = ticket.note ? t("transferNoteFrom", { note: ticket.note }) : "";
  note.hidden = !ticket.note;
  fill($("ctx-intents"), ticket.intents || [], intentItem);
  fill($("ctx-trend"), ticket.sentiment_trend || [], trendBar);
  renderSlots(ticket.collected || []);
  fill($("ctx-orders"), ticket.orders || [], orderItem);
  fill($("ctx-previous"), ticket.previous || [], previousItem);
}

function fill(list, items, render) {
  list.replaceChildren(...(items.length ? items.map(render) : [el("li", { class: "muted", text: t("none") })]));
}

function intentItem(intent) {
  const name = el("span", { class: "intent-name", text: codeLabel("intent", intent.intent, intent.label) });
  if (typeof intent.confidence !== "number") return el("li", {}, name);
  const percent = `${Math.round(intent.confidence * 100)}%`;
  return el("li", {}, name,
    el("meter", { min: "0", max: "1", low: "0.6", optimum: "1", value: String(intent.confidence),
                  "aria-label": `${t("confidence")} ${percent}` }),
    el("span", { class: "percent", text: percent }));
}

// One bar per scored shopper message, oldest first: up for positive, down for negative.
function trendBar(score, index) {
  const kind = sentimentKind({ score });
  const level = Math.min(TREND_LEVELS, Math.round(Math.abs(score) * TREND_LEVELS));
  const text = t("trendPoint", { n: index + 1, mood: t(kind), score: score.toFixed(2) });
  return el("li", { class: `${kind} ${score < 0 ? "down" : "up"} lvl-${level}`, title: text },
    el("span", { class: "visually-hidden", text }));
}

function renderSlots(rows) {
  $("ctx-slots").replaceChildren(...(rows.length
    ? rows.flatMap((row) => [el("dt", { text: codeLabel("slot", row.name, row.label) }),
                             el("dd", { text: row.text || plain(row.value) })])
    : [el("dd", { class: "muted", text: t("none") })]));
}

function orderItem(order) {
  const head = [order.order_no, order.status_label || order.status].filter(Boolean).join(" · ");
  const goods = [order.title, typeof order.paid_cents === "number" ? "¥" + (order.paid_cents / 100).toFixed(2) : null]
    .filter(Boolean).join(" · ");
  const parcel = order.tracking_no ? t("parcel", { carrier: order.carrier_name || "", number: order.tracking_no }) : "";
  const event = order.latest_event;
  return el("li", {},
    el("strong", { text: head || plain(order) }),
    goods ? el("div", { text: goods }) : null,
    parcel ? el("div", { class: "parcel", text: parcel }) : null,
    event ? el("div", { class: "parcel-event", text: `${when(event.occurred_at)} ${event.description}` }) : null);
}

function previousItem(handoff) {
  const rating = handoff.score ? t("rated", { score: handoff.score }) : t("notRated");
  return el("li", {},
    el("strong", { text: `${when(handoff.started_at)} · ${reasonLabel(handoff.reason, handoff.reason_label)}` }),
    el("div", { class: "muted", text: `${t("messageCount", { n: handoff.messages })} · ${rating}` }));
}

function plain(value) {
  if (value === null || value === undefined || value === "") return t("none");
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

// Epoch seconds (the console API) or an ISO timestamp (the order API), in local time.
function when(value) {
  const date = new Date(typeof value === "number" ? value * 1000 : value);
  return Number.isNaN(date.getTime()) ? String(value ?? "") : date.toLocaleString();
}

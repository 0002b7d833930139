// Order actions in the context column: next to each of the ticket's orders, its
// refunds awaiting a decision (approve / reject) and, before shipment, a change of
// address; below the orders, pending refunds on the shopper's other orders and the
// ticket's audit trail. Every action opens a dialog to confirm; the server checks
// again (the agent must hold the chat, or be a supervisor) and records the attempt.

import { ApiError, get, post, ticketPath } from "./api.js";
import { field, openDialog } from "./dialog.js";
import { el } from "./dom.js";
import { has, t } from "./i18n.js";

// Statuses whose address the order system lets us change (openapi.yaml, /address).
const ADDRESS_CHANGEABLE = ["pending_payment", "awaiting_shipment"];
const ADDRESS_FIELDS = [
  ["receiver_name", { maxlength: "20", autocomplete: "off" }],
  ["receiver_phone", { maxlength: "11", pattern: "1[3-9][0-9]{9}", inputmode: "numeric", autocomplete: "off" }],
  ["province", { maxlength: "20" }],
  ["city", { maxlength: "20" }],
  ["district", { maxlength: "20" }],
  ["detail", { maxlength: "120", minlength: "5" }],
];

const oa = { ticketId: null, ticket: null, tools: null, refunds: null, problem: null, audit: [] };
const $ = (id) => document.getElementById(id);
const money = (cents) => "¥" + (Number(cents || 0) / 100).toFixed(2);

// Called whenever the console draws a ticket. tools: { user, held, attempt, errorText, toast }.
export function showOrderActions(ticket, tools) {
  oa.ticket = ticket;
  oa.tools = tools;
  buildSection();
  if (oa.ticketId !== ticket.ticket_id) {
    oa.ticketId = ticket.ticket_id;
    oa.refunds = null;
    oa.problem = null;
    oa.audit = [];
    reload();
  }
  draw();
}

const allowed = () => oa.tools.held || oa.tools.user.role === "supervisor";

async function reload() {
  const ticketId = oa.ticketId;
  const path = ticketPath(ticketId);
  const [refunds, audit] = await Promise.allSettled([get(path + "/refunds"), get(path + "/audit")]);
  if (oa.ticketId !== ticketId) return;
  // The server reports an order system it cannot ask as data ({code, message}), not as an error.
  const answer = refunds.status === "fulfilled" ? refunds.value : { refunds: [], problem: null };
  const problem = refunds.status === "rejected" ? refunds.reason : answer.problem;
  oa.refunds = answer.refunds;
  oa.problem = problem ? oa.tools.errorText(new ApiError(0, problem.code, problem.message)) : null;
  oa.audit = audit.status === "fulfilled" ? audit.value.audit : [];
  draw();
}

// ------------------------------------------------------------ drawing

function buildSection() {
  if ($("order-actions")) return;
  $("ctx-orders").after(el("section", { id: "order-actions", class: "order-actions", "aria-live": "polite" },
    el("p", { id: "oa-status", class: "muted", hidden: "" }),
    el("h3", { id: "oa-other-heading", text: t("oaOtherRefunds"), hidden: "" }),
    el("ul", { id: "oa-other", class: "orders", "aria-labelledby": "oa-other-heading" }),
    el("h3", { id: "oa-audit-heading", text: t("oaAudit") }),
    el("ul", { id: "oa-audit", class: "audit", "aria-labelledby": "oa-audit-heading" })));
}

function draw() {
  const pending = (oa.refunds || []).filter((refund) => refund.pending);
  // context.js draws one <li> per order, in the ticket's order.
  const orders = oa.ticket.orders || [];
  const items = $("ctx-orders").children;
  if (items.length === orders.length) {
    orders.forEach((order, index) => {
      const mine = pending.filter((refund) => refund.order_no === order.order_no);
      items[index].querySelector(".order-tools")?.remove();
      const tools = el("div", { class: "order-tools" }, ...mine.map(refundLine));
      if (ADDRESS_CHANGEABLE.includes(order.status)) {
        tools.append(actionButton(t("oaChangeAddress"), () => changeAddress(order)));
      }
      if (tools.childElementCount) items[index].append(tools);
    });
  }

  const status = $("oa-status");
  status.textContent = oa.problem || (oa.refunds === null ? t("oaLoading") : allowed() ? "" : t("oaViewOnly"));
  status.hidden = !status.textContent;
  const onTicket = new Set(orders.map((order) => order.order_no));
  const others = pending.filter((refund) => !onTicket.has(refund.order_no));
  $("oa-other-heading").hidden = !others.length;
  $("oa-other").replaceChildren(...others.map((refund) =>
    el("li", {}, el("strong", { text: refund.order_no || "" }), refundLine(refund))));
  $("oa-audit").replaceChildren(...(oa.audit.length ? oa.audit.map(auditItem)
    : [el("li", { class: "muted", text: t("none") })]));
}

function refundLine(refund) {
  const facts = [t("oaRefund"), money(refund.amount_cents), refund.kind_label, refund.reason_label]
    .filter(Boolean).join(" · ");
  return el("div", { class: "refund-line" },
    el("span", { text: facts }),
    actionButton(t("oaApprove"), () => decide(refund, true), "primary"),
    actionButton(t("oaReject"), () => decide(refund, false)));
}

function actionButton(text, onclick, kind = "") {
  const button = el("button", { type: "button", class: kind, text, onclick });
  button.disabled = !allowed();
  return button;
}

function auditItem(row) {
  const who = row.actor_name ? `${row.actor_name}（${row.actor}）` : row.actor;
  const head = [new Date(row.at).toLocaleString(), who, t(`oaAction_${row.action}`), row.order_no]
    .filter(Boolean).join(" · ");
  // Refusals carry the error code, failures the technical reason (kept as a tooltip).
  const why = row.outcome === "refused" ? (has(`err_${row.detail}`) ? t(`err_${row.detail}`) : row.detail)
    : row.outcome === "failed" ? t("err_order_service_unavailable") : "";
  const outcome = t(`oaOutcome_${row.outcome}`) + (why ? `：${why}` : "");
  return el("li", { class: "audit-" + row.outcome, title: row.detail || "" },
    el("div", { text: head }), el("div", { class: "audit-outcome", text: outcome }));
}

// ------------------------------------------------------------ actions

function decide(refund, approve) {
  const note = el("textarea", { name: "note", rows: "3", maxlength: "500" });
  if (!approve) note.required = true;
  openDialog({
    title: approve ? t("oaApproveTitle") : t("oaRejectTitle"),
    confirmText: approve ? t("oaConfirmApprove") : t("oaConfirmReject"),
    danger: !approve,
    content: [
      facts([[t("oaOrder"), refund.order_no], [t("oaAmount"), money(refund.amount_cents)],
             [t("oaKind"), refund.kind_label], [t("oaReason"), refund.reason_label],
             [t("oaShopperSays"), refund.description]]),
      field(approve ? t("oaApproveNote") : t("oaRejectNote"), note),
    ],
    onConfirm: () => act(`/refunds/${encodeURIComponent(refund.refund_id)}/${approve ? "approve" : "reject"}`,
                         note.value.trim() ? { note: note.value.trim() } : {},
                         approve ? t("oaApproved") : t("oaRejected")),
  });
}

function changeAddress(order) {
  const controls = ADDRESS_FIELDS.map(([name, attrs]) => [name, el("input", { name, required: "", ...attrs })]);
  openDialog({
    title: t("oaAddressTitle", { order: order.order_no }),
    confirmText: t("oaConfirmAddress"),
    content: [
      el("p", { class: "muted", text: t("oaAddressWarning") }),
      ...controls.map(([name, control]) => field(t(`oaField_${name}`), control)),
    ],
    onConfirm: () => act(`/orders/${encodeURIComponent(order.order_no)}/address`,
                         Object.fromEntries(controls.map(([name, control]) => [name, control.value.trim()])),
                         t("oaAddressChanged")),
  });
}

// Posts the action; the audit and refunds are reloaded whatever the outcome, since a
// refusal or a failure is recorded too.
async function act(path, body, success) {
  const ticketId = oa.ticketId;
  try {
    await post(ticketPath(ticketId) + path, body);
  } catch (error) {
    reload();
    if (error.status === 401) {
      oa.tools.attempt(() => Promise.reject(error));   // the console's usual sign-out path
      return null;
    }
    return oa.tools.errorText(error);
  }
  oa.tools.toast(success);
  await reload();
  return null;
}

function facts(rows) {
  return el("dl", { class: "facts" }, ...rows.filter(([, value]) => value)
    .flatMap(([label, value]) => [el("dt", { text: label }), el("dd", { text: String(value) })]));
}

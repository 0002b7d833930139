// The quick-reply library (话术库) under the composer. Picking a reply, or typing its
// shortcut (/hi) and pressing Tab or Enter in the composer, asks the server to fill in
// the shopper's nickname, the order number and the agent's name, and puts the text in
// the composer to edit: nothing is sent until the agent sends it. Supervisors also get
// add, edit and delete. Every text goes in with textContent.

import { call, get, post, ticketPath } from "./api.js";
import { field, openDialog } from "./dialog.js";
import { el } from "./dom.js";
import { t } from "./i18n.js";

const SHORTCUT_BEFORE_CARET = /(^|\s)(\/[a-z0-9]{1,16})$/;
const DELETE_CONFIRM_MS = 4000;

const qr = { login: null, library: null, ticket: null, tools: null, category: "all", query: "" };
const $ = (id) => document.getElementById(id);

// Called whenever the console draws a ticket. tools: { user, held, attempt, errorText, toast }.
export function showQuickReplies(ticket, tools) {
  qr.ticket = ticket;
  qr.tools = tools;
  buildPanel();
  if (qr.login !== tools.user.login) {
    qr.login = tools.user.login;
    qr.library = null;
  }
  if (qr.library) draw();
  else load();
}

const isSupervisor = () => qr.tools && qr.tools.user.role === "supervisor";

async function load() {
  const login = qr.login;
  const library = await qr.tools.attempt(() => get("/quick-replies"));
  if (library && login === qr.login) {
    qr.library = library;
    draw();
  }
}

// ------------------------------------------------------------ the panel

function buildPanel() {
  if ($("quick-replies")) return;
  const filter = el("input", { id: "qr-filter", type: "search", maxlength: "40",
                               placeholder: t("qrSearch"), "aria-label": t("qrSearch") });
  filter.addEventListener("input", () => { qr.query = filter.value.trim().toLowerCase(); draw(); });
  const add = el("button", { id: "qr-add", type: "button", text: t("qrAdd"), hidden: "", onclick: () => edit(null) });
  const panel = el("section", { id: "quick-replies", class: "quick-replies", "aria-labelledby": "qr-heading" },
    el("div", { class: "qr-head" },
      el("h3", { id: "qr-heading", text: t("quickReplies") }),
      el("small", { class: "muted", text: t("qrShortcutHint") }),
      add),
    filter,
    el("div", { id: "qr-categories", class: "qr-categories", role: "group", "aria-label": t("qrCategory") }),
    el("ul", { id: "qr-list", class: "qr-list", "aria-labelledby": "qr-heading" }));
  $("composer").after(panel);
  // Capture on the form runs before the composer's own Enter-to-send handler.
  $("composer").addEventListener("keydown", expandShortcut, true);
}

function draw() {
  const library = qr.library;
  if (!library) return;
  $("qr-add").hidden = !isSupervisor();
  $("qr-categories").replaceChildren(...["all", ...library.categories].map((key) =>
    el("button", { type: "button", class: "chip-button", text: t(key === "all" ? "qrAll" : `qrc_${key}`),
                   "aria-pressed": String(qr.category === key),
                   onclick: () => { qr.category = key; draw(); } })));
  const shown = library.replies.filter((reply) =>
    (qr.category === "all" || reply.category === qr.category) &&
    (!qr.query || [reply.shortcut, reply.title, reply.body].some((s) => s.toLowerCase().includes(qr.query))));
  $("qr-list").replaceChildren(...(shown.length ? shown.map(item)
    : [el("li", { class: "muted", text: t("qrNone") })]));
}

function item(reply) {
  const pick = el("button", { type: "button", class: "qr-pick", title: reply.body,
                              "aria-label": t("qrInsert", { title: reply.title, shortcut: reply.shortcut }),
                              onclick: () => insert(reply) },
    el("span", { class: "qr-shortcut", text: reply.shortcut }),
    el("span", { class: "qr-title", text: reply.title }),
    el("span", { class: "qr-body", text: reply.body }));
  pick.disabled = !qr.tools.held;
  const row = el("li", { class: "qr-item", "data-reply": String(reply.id) }, pick);
  if (isSupervisor()) {
    row.append(el("div", { class: "qr-tools" },
      el("button", { type: "button", text: t("edit"), "aria-label": `${t("edit")} ${reply.title}`,
                     onclick: () => edit(reply) }),
      deleteButton(reply)));
  }
  return row;
}

// ------------------------------------------------------------ into the composer

function expandShortcut(event) {
  const box = event.target;
  if (box.id !== "composer-text" || !qr.library || !qr.tools.held) return;
  if (!["Tab", "Enter"].includes(event.key) || event.shiftKey || event.isComposing || event.keyCode === 229) return;
  if (box.selectionStart !== box.selectionEnd) return;
  const match = SHORTCUT_BEFORE_CARET.exec(box.value.slice(0, box.selectionStart));
  const reply = match && qr.library.replies.find((r) => r.shortcut === match[2]);
  if (!reply) return;     // not a shortcut: Tab moves on, Enter sends as usual
  event.preventDefault();
  event.stopPropagation();
  insert(reply, box.selectionStart - match[2].length);
}

// Puts the reply, filled in for this ticket, at the caret (over the typed shortcut if any).
async function insert(reply, shortcutAt = null) {
  const ticket = qr.ticket;
  if (!ticket) return;
  const data = await qr.tools.attempt(() =>
    post(`${ticketPath(ticket.ticket_id)}/quick-replies/${reply.id}/render`));
  if (!data || qr.ticket !== ticket) return;
  const box = $("composer-text");
  let start = box.selectionStart;
  let end = box.selectionEnd;
  if (shortcutAt !== null && box.value.slice(shortcutAt, shortcutAt + reply.shortcut.length) === reply.shortcut) {
    start = shortcutAt;
    end = shortcutAt + reply.shortcut.length;
  }
  box.setRangeText(data.text, start, end, "end");
  box.dispatchEvent(new Event("input", { bubbles: true }));
  box.focus();
  if (data.missing.length) {
    qr.tools.toast(t("qrMissing", { names: data.missing.map((name) => t(`qrv_${name}`)).join("、") }), "error");
  }
}

// ------------------------------------------------------------ the supervisors' editor

function edit(reply) {
  const library = qr.library;
  const category = el("select", { name: "category", required: "" },
    ...library.categories.map((key) => el("option", { value: key, text: t(`qrc_${key}`) })));
  category.value = reply ? reply.category : (qr.category !== "all" ? qr.category : library.categories[0]);
  const shortcut = el("input", { name: "shortcut", required: "", maxlength: "17", pattern: "/[a-z0-9]{1,16}",
                                 autocomplete: "off", placeholder: "/hi" });
  const title = el("input", { name: "title", required: "", maxlength: "40" });
  const body = el("textarea", { name: "body", required: "", maxlength: "1000", rows: "5" });
  if (reply) {
    shortcut.value = reply.shortcut;
    title.value = reply.title;
    body.value = reply.body;
  }
  const variables = library.variables.map((name) => `{${name}} ${t(`qrv_${name}`)}`).join("、");
  openDialog({
    title: reply ? t("qrEditTitle") : t("qrAddTitle"),
    confirmText: t("save"),
    content: [
      field(t("qrCategory"), category),
      field(t("qrShortcut"), shortcut, t("qrShortcutRule")),
      field(t("qrTitle"), title),
      field(t("qrBody"), body, t("qrVariables", { variables })),
    ],
    onConfirm: async () => {
      const data = { category: category.value, shortcut: shortcut.value.trim(), title: title.value.trim(),
                     body: body.value.trim() };
      try {
        await (reply ? call("PUT", `/quick-replies/${reply.id}`, data) : post("/quick-replies", data));
      } catch (error) {
        return qr.tools.errorText(error);
      }
      await load();
      qr.tools.toast(t("qrSaved"));
      return null;
    },
  });
}

// Two clicks: the first arms the button for a few seconds, the second deletes.
function deleteButton(reply) {
  let armed = null;
  const button = el("button", { type: "button", text: t("delete"), "aria-label": `${t("delete")} ${reply.title}` });
  button.addEventListener("click", async () => {
    if (!armed) {
      button.textContent = t("confirmDelete");
      button.classList.add("danger");
      armed = setTimeout(() => {
        armed = null;
        button.textContent = t("delete");
        button.classList.remove("danger");
      }, DELETE_CONFIRM_MS);
      return;
    }
    clearTimeout(armed);
    const done = await qr.tools.attempt(() => call("DELETE", `/quick-replies/${reply.id}`), t("qrDeleted"));
    if (done) await load();
  });
  return button;
}

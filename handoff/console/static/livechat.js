// Live chat with the shopper: the socket that pushes queue changes and messages, the
// messages of the open chat, and the composer. Sending goes through the JSON API
// (CSRF-checked); the socket only listens. Every message is drawn with textContent, a
// shopper's picture as an <img> from the console's own API. Each shopper message the
// chat log knows gets a 「标记给训练师」 button (button[data-flag="<message id>"]).

import { get, post, ticketPath } from "./api.js";
import { field, openDialog } from "./dialog.js";
import { el } from "./dom.js";
import { t } from "./i18n.js";
import { has as reviewHas, t as reviewT } from "./review-i18n.js";

const TYPING_SHOWN_MS = 4000;
const TYPING_SENT_EVERY_MS = 2500;

const live = { socket: null, ticket: null, seen: new Set(), flagged: new Set(), typingTimer: null, lastTyping: 0,
               handlers: {} };
const $ = (id) => document.getElementById(id);

// handlers: { onQueue(event), onTicketChanged(event), onError(error), onState(state) }
export function connectLive(handlers) {
  disconnectLive();
  live.handlers = handlers;
  let wasOnline = false;
  live.socket = window.XiaoerChat.connect({
    url: location.origin,
    path: "/console/socket.io",
    auth: {},
    onState: (state) => {
      if (state === "online") {
        if (live.ticket) watch(live.ticket);         // rooms are per connection: join again
        if (wasOnline && live.ticket) catchUp(live.ticket);
        wasOnline = true;
      }
      if (handlers.onState) handlers.onState(state);
    },
    onEvent: (name, data) => {
      if (name === "queue_event") {
        handlers.onQueue(data);
        if (live.ticket && data.ticket_id === live.ticket.ticket_id) handlers.onTicketChanged(data);
      } else if (name === "chat_message") {
        if (live.ticket && data.ticket_id === live.ticket.ticket_id) appendMessage(data);
      } else if (name === "typing") {
        if (live.ticket && data.ticket_id === live.ticket.ticket_id) showTyping();
      }
    },
  });
}

export function disconnectLive() {
  if (live.socket) live.socket.close();
  live.socket = null;
  live.ticket = null;
}

// Shows the chat's messages after the bot-era transcript and follows new ones.
export async function openChat(ticket, held) {
  live.ticket = ticket;
  live.seen = new Set();
  live.flagged = new Set();
  $("typing").hidden = true;
  setComposer(held);
  if (!ticket) return;
  watch(ticket);
  await Promise.all([catchUp(ticket), markFlaggable(ticket)]);
}

function watch(ticket) {
  if (live.socket && live.socket.state() === "online") {
    live.socket.request("watch", { ticket_id: ticket.ticket_id }).catch(() => {});
  }
}

async function catchUp(ticket) {
  try {
    const data = await get(ticketPath(ticket.ticket_id) + "/messages");
    if (live.ticket !== ticket) return;
    data.messages.forEach(appendMessage);
  } catch (error) {
    if (live.handlers.onError) live.handlers.onError(error);
  }
}

function appendMessage(message) {
  if (live.seen.has(message.id)) return;    // the live echo of what we just sent
  live.seen.add(message.id);
  const kind = message.sender === "shopper" ? "shopper" : message.sender === "agent" ? "agent" : "system";
  const who = kind === "shopper" ? t("shopper")
    : kind === "agent" ? `${t("agent")} ${message.agent_name || message.sender_id || ""}`.trim() : t("system");
  const item = document.createElement("li");
  item.className = "turn live " + kind;
  item.dataset.messageId = String(message.id);
  const head = document.createElement("div");
  head.className = "who";
  head.textContent = `${who} · ${new Date(message.at * 1000).toLocaleTimeString()}`;
  const body = document.createElement("div");
  body.className = "text";
  if (message.image) {
    // A shopper's picture, at the console's own URL (the CSP allows images from this origin only).
    const image = document.createElement("img");
    image.className = "chat-image";
    image.src = message.image;
    image.alt = t("shopperImage");
    body.append(image);
  } else {
    body.textContent = message.text;
  }
  item.append(head, body);
  if (kind === "shopper" && message.id) item.append(el("div", { class: "signals" }, flagButton(message.id, message.text)));
  const list = $("transcript");
  list.append(item);
  list.scrollTop = list.scrollHeight;
  if (kind === "shopper") $("typing").hidden = true;
}

// ------------------------------------------------------------ flagging for the trainers

// The ticket's transcript comes from the bot without chat log ids: the conversation's
// shopper messages (same masking) are matched to its shopper turns in order, and each
// matched turn gets a flag button. Flagging is optional: if the ids do not load, the
// chat works as before.
async function markFlaggable(ticket) {
  let data;
  try {
    data = await get(ticketPath(ticket.ticket_id) + "/shopper-messages");
  } catch (_) {
    return;
  }
  if (live.ticket !== ticket) return;
  for (const message of data.messages) if (message.flagged) live.flagged.add(message.id);
  let from = 0;
  for (const turn of document.querySelectorAll("#transcript li.turn.shopper:not(.live)")) {
    const text = (turn.querySelector(".text")?.textContent || "").trim();
    const at = data.messages.findIndex((m, i) => i >= from && m.text.trim() === text);
    if (turn.dataset.messageId || at < 0) continue;
    from = at + 1;
    const id = data.messages[at].id;
    turn.dataset.messageId = String(id);
    let signals = turn.querySelector(".signals");
    if (!signals) turn.append(signals = el("div", { class: "signals" }));
    signals.append(flagButton(id, text));
  }
  for (const button of document.querySelectorAll("#transcript button[data-flag]")) {
    if (live.flagged.has(Number(button.dataset.flag))) showFlagged(button);
  }
}

function flagButton(messageId, text) {
  const button = el("button", { type: "button", class: "chip-button flag-button", "data-flag": String(messageId),
                                text: reviewT("flagButton"), "aria-label": reviewT("flagButtonLabel", { text }) });
  if (live.flagged.has(messageId)) showFlagged(button);
  button.addEventListener("click", () => askFlag(button, messageId, text));
  return button;
}

function showFlagged(button) {
  button.disabled = true;
  button.textContent = reviewT("flagged");
}

function askFlag(button, messageId, text) {
  const note = el("input", { maxlength: "200", autocomplete: "off", placeholder: reviewT("flagNotePlaceholder") });
  openDialog({
    title: reviewT("flagTitle"),
    content: [el("p", { class: "muted", text: reviewT("flagIntro") }), el("p", { class: "summary", text }),
              field(reviewT("flagNote"), note)],
    confirmText: reviewT("flagConfirm"),
    onConfirm: async () => {
      try {
        await post(`/messages/${encodeURIComponent(messageId)}/flag`, { note: note.value.trim() });
      } catch (error) {
        // The server says why in Chinese first ("该消息不存在或已不可见 / …").
        const said = error.code !== "network" && error.message !== error.code ? String(error.message || "") : "";
        return said.split(" / ")[0] || reviewT(reviewHas("err_" + error.code) ? "err_" + error.code : "err_generic",
                                                { status: error.status });
      }
      live.flagged.add(messageId);
      showFlagged(button);
      const box = el("div", { class: "toast ok", text: reviewT("flagDone") });
      $("toasts").append(box);
      setTimeout(() => box.remove(), 3000);
      return null;
    },
  });
}

function showTyping() {
  $("typing").hidden = false;
  clearTimeout(live.typingTimer);
  live.typingTimer = setTimeout(() => { $("typing").hidden = true; }, TYPING_SHOWN_MS);
}

function setComposer(held) {
  $("composer-text").disabled = !held;
  $("composer-send").disabled = !held;
  $("composer-hint").textContent = held ? "" : t("composerNotYours");
}

async function send(event) {
  event.preventDefault();
  const box = $("composer-text");
  const text = box.value.trim();
  const ticket = live.ticket;
  if (!text || !ticket) return;
  $("composer-send").disabled = true;
  try {
    const data = await post(ticketPath(ticket.ticket_id) + "/messages", { text });
    box.value = "";
    if (live.ticket === ticket) appendMessage(data.message);
    if (live.handlers.onSent) live.handlers.onSent(ticket);
  } catch (error) {
    if (live.handlers.onError) live.handlers.onError(error);   // the text stays for another try
  } finally {
    $("composer-send").disabled = false;
    box.focus();
  }
}

function typing() {
  const now = Date.now();
  if (!live.ticket || !live.socket || now - live.lastTyping < TYPING_SENT_EVERY_MS) return;
  live.lastTyping = now;
  live.socket.request("typing", { ticket_id: live.ticket.ticket_id }).catch(() => {});
}

export function setUpComposer() {
  $("composer").addEventListener("submit", send);
  $("composer-text").addEventListener("input", typing);
  $("composer-text").addEventListener("keydown", (event) => {
    // Enter sends; Shift+Enter is a new line; Enter that confirms an IME candidate is neither.
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
      event.preventDefault();
      $("composer").requestSubmit();
    }
  });
}

// Live chat with the shopper: the socket that pushes queue changes and messages, the
// messages of the open chat, and the composer. Sending goes through the JSON API
// (CSRF-checked); the socket only listens. Every message is drawn with textContent, a
// shopper's picture as an <img> from the console's own API.

import { get, post, ticketPath } from "./api.js";
import { t } from "./i18n.js";

const TYPING_SHOWN_MS = 4000;
const TYPING_SENT_EVERY_MS = 2500;

const live = { socket: null, ticket: null, seen: new Set(), typingTimer: null, lastTyping: 0, handlers: {} };
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
  $("typing").hidden = true;
  setComposer(held);
  if (!ticket) return;
  watch(ticket);
  await catchUp(ticket);
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
  const list = $("transcript");
  list.append(item);
  list.scrollTop = list.scrollHeight;
  if (kind === "shopper") $("typing").hidden = true;
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

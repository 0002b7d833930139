// Conversation review: pick a past conversation, read it turn by turn with what the bot
// understood (intent, confidence, runners-up) and did, and keep it as a test story.
//
// Test hooks: each conversation in the list is a button with data-conversation="<id>";
// each turn is an <li data-turn="<index>" data-intent="<intent or ''>"> (plus
// data-low-confidence="true" when the bot was unsure, data-handoff="true" when the
// conversation went to a person); each step inside has data-step="<kind>".
// Shopper text is hostile input: everything goes in with textContent only (dom.js).

import { ApiError, get, post, setCsrf } from "./api.js";
import { t, has, translatePage } from "./conversations-i18n.js";
import { el, sentimentKind } from "./dom.js";

const LIMIT = 50;
const state = { selected: null, listSeq: 0, detailSeq: 0 };
const $ = (id) => document.getElementById(id);
const conversationPath = (id) => "/conversations/" + encodeURIComponent(id);

// ------------------------------------------------------------ formatting

const when = (seconds) => (seconds ? new Date(seconds * 1000).toLocaleString() : t("noValue"));
const percent = (value) => (value === null || value === undefined ? t("noValue") : `${Math.round(value * 100)}%`);
const intentName = (guess) => (guess.label && guess.label !== guess.name ? `${guess.label}（${guess.name}）` : guess.name);

function shown(value) {
  if (value === null || value === undefined) return "null";
  return typeof value === "string" ? value : JSON.stringify(value);
}

// ------------------------------------------------------------ messages

function toast(message, kind = "info") {
  const box = el("div", { class: `toast ${kind}`, text: message });
  if (kind === "error") box.setAttribute("role", "alert");
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

const refused = (error) => error instanceof ApiError && (error.status === 401 || error.status === 403);

function block(error) {
  $("cv-main").hidden = true;
  $("cv-blocked-text").textContent = t(error.status === 403 ? "cvReviewersOnly" : "cvSignInFirst");
  $("cv-blocked").hidden = false;
}

// ------------------------------------------------------------ the list

async function loadList() {
  const seq = ++state.listSeq;
  const query = $("cv-query").value.trim();
  const params = new URLSearchParams({ limit: String(LIMIT) });
  if (query) params.set("q", query);
  $("cv-list-status").textContent = t("cvLoading");
  try {
    const data = await get("/conversations?" + params.toString());
    if (seq !== state.listSeq) return;
    renderList(data.conversations || [], Boolean(query));
  } catch (error) {
    if (seq !== state.listSeq) return;
    if (refused(error)) return block(error);
    $("cv-list-status").textContent = errorText(error);
  }
}

function renderList(conversations, searched) {
  $("cv-list-status").textContent = conversations.length
    ? t("cvCount", { n: conversations.length })
    : t(searched ? "cvNoMatches" : "cvNoConversations");
  $("cv-list").replaceChildren(...conversations.map((c) => {
    const button = el("button", { type: "button", class: "cv-item", "data-conversation": c.conversation_id,
                                  "aria-pressed": String(c.conversation_id === state.selected) },
      el("span", { class: "cv-item-id", text: c.conversation_id }),
      el("span", { class: "cv-item-preview", text: c.preview || t("cvNoText") }),
      el("span", { class: "cv-item-meta muted", text: `${when(c.last_at)} · ${t("cvTurns", { n: c.turns })}` }),
      c.handed_over ? el("span", { class: "badge cv-handoff-badge", text: t("cvHandedOver") }) : null);
    button.addEventListener("click", () => select(c.conversation_id));
    return el("li", {}, button);
  }));
}

// ------------------------------------------------------------ one conversation

async function select(conversationId) {
  state.selected = conversationId;
  for (const button of document.querySelectorAll("[data-conversation]")) {
    button.setAttribute("aria-pressed", String(button.dataset.conversation === conversationId));
  }
  if (location.hash.slice(1) !== encodeURIComponent(conversationId)) {
    history.replaceState(null, "", "#" + encodeURIComponent(conversationId));
  }
  const seq = ++state.detailSeq;
  $("cv-empty").hidden = true;
  $("cv-view").hidden = false;
  $("cv-id").textContent = conversationId;
  $("cv-meta").textContent = t("cvLoading");
  $("cv-turns").replaceChildren();
  saveError("");
  try {
    const data = await get(conversationPath(conversationId));
    if (seq !== state.detailSeq) return;
    renderConversation(data);
  } catch (error) {
    if (seq !== state.detailSeq) return;
    if (refused(error)) return block(error);
    $("cv-meta").textContent = errorText(error);
  }
}

function renderConversation(data) {
  const c = data.conversation;
  $("cv-view").dataset.conversation = c.conversation_id;
  $("cv-meta").textContent = t("cvMeta", { started: when(c.started_at), last: when(c.last_at), turns: c.turns });
  $("cv-threshold").textContent = t("cvThreshold", { p: percent(data.low_confidence_below) });
  $("cv-turns").replaceChildren(...data.turns.map((turn) => renderTurn(turn, data.low_confidence_below)));
}

function renderTurn(turn, threshold) {
  const item = el("li", { class: "cv-turn", "data-turn": String(turn.index),
                          "data-intent": turn.intent ? turn.intent.name : "" });
  if (turn.low_confidence) {
    item.dataset.lowConfidence = "true";
    item.classList.add("cv-low");
  }
  if (turn.handoff) item.dataset.handoff = "true";
  if (turn.text === null) {
    item.append(el("p", { class: "cv-opening muted", text: t("cvOpening") }));
  } else {
    item.append(
      el("div", { class: "cv-shopper" },
        el("span", { class: "cv-who", text: t("cvShopper") }),
        el("p", { class: "cv-bubble cv-shopper-text", text: turn.text })),
      renderReading(turn, threshold));
  }
  const steps = turn.steps.map(renderStep).filter(Boolean);
  item.append(el("div", { class: "cv-did" },
    el("span", { class: "cv-who", text: t("cvBotDid") }),
    steps.length ? el("ol", { class: "cv-steps" }, ...steps) : el("p", { class: "muted", text: t("cvNothing") })));
  return item;
}

function confidenceMeter(value, threshold) {
  const meter = el("meter", { min: "0", max: "1", low: String(threshold), high: "0.85", optimum: "1",
                              value: String(value ?? 0), "aria-label": t("cvConfidence") });
  return el("span", { class: "cv-confidence" }, meter, el("span", { class: "cv-percent", text: percent(value) }));
}

function renderReading(turn, threshold) {
  const box = el("div", { class: "cv-reading" }, el("span", { class: "cv-who", text: t("cvReading") }));
  if (turn.intent) {
    box.append(el("p", { class: "cv-intent" },
      el("strong", { "data-intent-name": turn.intent.name, text: intentName(turn.intent) }),
      confidenceMeter(turn.intent.confidence, threshold),
      turn.low_confidence ? el("span", { class: "cv-low-badge", text: t("cvLowConfidence") }) : null));
  }
  const runnersUp = turn.ranking.filter((guess) => !turn.intent || guess.name !== turn.intent.name);
  if (runnersUp.length) {
    box.append(el("p", { class: "cv-runners muted" }, el("span", { text: t("cvRunnersUp") + "：" }),
      ...runnersUp.map((guess) => el("span", { class: "cv-runner", "data-runner": guess.name,
                                               text: `${intentName(guess)} ${percent(guess.confidence)}` }))));
  }
  if (turn.entities.length) {
    box.append(el("p", { class: "cv-entities muted" }, el("span", { text: t("cvEntities") + "：" }),
      ...turn.entities.map((e) => el("code", { "data-entity": e.entity, text: `${e.entity}=${shown(e.value)}` }))));
  }
  const mood = sentimentKind(turn.sentiment);
  if (mood) {
    const score = Number(turn.sentiment.score);
    box.append(el("p", { class: `cv-sentiment muted sentiment-${mood}`,
                         text: `${t("cvSentiment")}：${t("sentiment_" + mood)}${Number.isNaN(score) ? "" : `（${score.toFixed(2)}）`}` }));
  }
  return box;
}

function renderStep(step) {
  const item = (cls, ...children) => el("li", { class: `cv-step ${cls}`, "data-step": step.kind }, ...children);
  switch (step.kind) {
    case "action":
      return item("cv-action", el("span", { class: "cv-tag", text: t("cvAction") }), el("code", { text: step.name }),
        step.policy ? el("span", { class: "muted", text: ` ${step.policy}${step.confidence === null ? "" : " " + percent(step.confidence)}` }) : null);
    case "utterance":
      return item("cv-utterance", el("span", { class: "cv-tag", text: t("cvSaid") }),
        el("p", { class: "cv-bubble cv-bot-text", text: step.text || "" }),
        step.name ? el("code", { class: "muted", text: step.name }) : null,
        step.buttons.length ? el("span", { class: "muted", text: t("cvButtons", { list: step.buttons.join(" / ") }) }) : null);
    case "slot":
      return item("cv-slot", el("span", { class: "cv-tag", text: t("cvSlot") }),
        el("span", { text: `${step.label || step.name} = ${shown(step.value)}` }));
    case "form":
      return item("cv-form muted", el("span", { text: step.name ? `${t("cvForm")} ${step.name}` : t("cvFormEnd") }));
    case "session":
      return item("cv-marker muted", el("span", { text: t("cvSession") }));
    case "restart":
      return item("cv-marker muted", el("span", { text: t("cvRestart") }));
    case "handoff":
      return item("cv-handoff", el("span", {
        text: step.label || step.name ? t("cvHandoffReason", { reason: step.label || step.name }) : t("cvHandoffNoReason") }),
        step.ticket_id ? el("code", { class: "muted", text: step.ticket_id }) : null);
    case "message":
      return item(`cv-message cv-from-${step.sender}`,
        el("span", { class: "cv-tag", text: (has("sender_" + step.sender) ? t("sender_" + step.sender) : step.sender)
                                             + (step.sender_id ? `（${step.sender_id}）` : "") }),
        el("p", { class: "cv-bubble", text: step.text || "" }));
    default:
      return null;
  }
}

// ------------------------------------------------------------ saving

const NAME = /^[0-9A-Za-z\u3400-\u4dbf\u4e00-\u9fff _-]{1,80}$/;

function saveError(message) {
  $("cv-save-error").textContent = message || "";
  $("cv-save-error").hidden = !message;
}

async function saveStory(event) {
  event.preventDefault();
  if (!state.selected) return;
  const name = $("cv-story-name").value.trim();
  if (!NAME.test(name)) return saveError(t("cvNameRule"));
  const button = $("cv-save-button");
  button.disabled = true;
  button.textContent = t("cvSaving");
  try {
    const saved = await post(conversationPath(state.selected) + "/story", { name });
    saveError("");
    $("cv-story-name").value = "";
    toast(t(saved.masked && saved.masked.length ? "cvSavedMasked" : "cvSaved", { path: saved.path }));
  } catch (error) {
    if (refused(error)) return block(error);
    saveError(errorText(error));
  } finally {
    button.disabled = false;
    button.textContent = t("cvSaveStory");
  }
}

// ------------------------------------------------------------ start

async function signOut() {
  try {
    await post("/logout");
  } finally {
    location.href = "/console/";
  }
}

async function start() {
  translatePage();
  let me;
  try {
    me = await get("/me");
  } catch (error) {
    if (refused(error)) block(error);
    else toast(errorText(error), "error");
    return;
  }
  const role = me.user.role;
  if (role !== "trainer" && role !== "supervisor") return block(new ApiError(403, "forbidden"));
  setCsrf(me.csrf_token);
  $("me-name").textContent = `${me.user.name}（${me.user.login}）`;
  $("cv-review-link").hidden = false;
  $("cv-back").hidden = role === "trainer";     // trainers serve no chats
  $("cv-logout").hidden = false;
  $("cv-logout").addEventListener("click", signOut);
  $("cv-search").addEventListener("submit", (event) => { event.preventDefault(); loadList(); });
  $("cv-save").addEventListener("submit", saveStory);
  $("cv-main").hidden = false;
  await loadList();
  let linked = "";
  try {
    linked = decodeURIComponent(location.hash.slice(1));
  } catch (_) {
    linked = "";   // a mangled link: just show the list
  }
  if (linked) select(linked);
}

start();

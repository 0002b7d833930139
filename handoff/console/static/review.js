// The trainers' review inbox: shopper messages the bot was unsure about, handed over on,
// or agents flagged, grouped by similarity; one click or one key labels a whole group.
//
// Keys (not while typing in a box): Enter accepts the bot's guess for the current group,
// 1–9 pick the numbered suggestions, / jumps to the intent search, d dismisses the
// group, j / k move to the next / previous group. In the search box, Enter labels with
// the first match, ↓ moves into the list, Esc goes back to the groups.
//
// Hooks for tests: li.rv-group[data-group][data-size][data-guess] (the current one has
// aria-current="true"), li.rv-item[data-message], buttons [data-action] (accept,
// suggest with data-key, dismiss, pick, dismiss-one) carrying data-intent,
// #rv-pending[data-value], #rv-by-reason li[data-reason][data-count],
// #rv-by-intent li[data-intent][data-count], #rv-intents button[data-intent].
// Everything from the server goes in with textContent only.

import { ApiError, get, post, setCsrf } from "./api.js";
import { el } from "./dom.js";
import { has, intentName, t, translatePage } from "./review-i18n.js";

const REVIEWERS = ["trainer", "supervisor"];
const REASONS = ["unsure", "handoff", "flagged"];
const TOP_INTENTS = 8;

const state = { groups: [], current: 0, intents: [], labels: {}, truncated: false, limit: 0,
                busy: false, blocked: false };
const $ = (id) => document.getElementById(id);

// ------------------------------------------------------------ messages

function toast(message, kind = "ok") {
  const box = el("div", { class: "toast " + kind, text: message });
  if (kind === "error") box.setAttribute("role", "alert");
  $("toasts").append(box);
  setTimeout(() => box.remove(), kind === "error" ? 8000 : 4000);
}

// The server's messages are "中文 / English": the Chinese part reads best here.
function serverText(message) {
  return String(message || "").split(" / ")[0];
}

function errorText(error) {
  if (!(error instanceof ApiError)) return t("err_generic", { status: "?" });
  if (has("err_" + error.code)) return t("err_" + error.code);
  // Refusals of an example name the file and the intent: the server's words say it best.
  if (error.message && error.message !== error.code) return serverText(error.message);
  return t("err_generic", { status: error.status });
}

// Signed out, or not a reviewer (a 403 csrf_failed is neither: it gets a toast).
const refused = (error) => error instanceof ApiError &&
  (error.status === 401 || (error.status === 403 && error.code === "forbidden"));

// Signed out, or neither trainer nor supervisor: nothing to show but the way back.
function block(error) {
  state.blocked = true;
  $("rv-main").hidden = true;
  $("rv-blocked-text").textContent = t(error instanceof ApiError && error.status === 403
    ? "rvReviewersOnly" : "rvSignInFirst");
  $("rv-blocked").hidden = false;
}

// ------------------------------------------------------------ formatting

const nameOf = (intent) => intentName(intent, state.labels[intent]);
const percent = (value) => Math.round(Number(value) * 100);

function confidenceText(value) {
  return typeof value === "number" ? t("rvConfidence", { p: percent(value) }) : t("rvNoConfidence");
}

// ------------------------------------------------------------ summary

// Counts of the items still on the page: after a decision the page does not ask again.
function summaryOf(groups) {
  const items = groups.flatMap((g) => g.items);
  const byReason = Object.fromEntries(REASONS.map((r) => [r, items.filter((i) => i.reasons.includes(r)).length]));
  const counts = new Map();
  for (const item of items) counts.set(item.intent ?? null, (counts.get(item.intent ?? null) || 0) + 1);
  const byIntent = [...counts.entries()].map(([intent, count]) => ({ intent, count }))
    .sort((a, b) => b.count - a.count || String(a.intent ?? "").localeCompare(String(b.intent ?? "")));
  return { pending: items.length, byReason, byIntent };
}

function renderSummary(summary) {
  const pending = $("rv-pending");
  pending.dataset.value = String(summary.pending);
  pending.textContent = `${summary.pending} ${t("rvPendingUnit")}`.trim();
  $("rv-truncated").hidden = !state.truncated;
  $("rv-truncated").textContent = t("rvTruncated", { n: state.limit });
  $("rv-by-reason").replaceChildren(...REASONS.map((reason) => el("li",
    { class: "badge reason", "data-reason": reason, "data-count": String(summary.byReason[reason] || 0),
      text: `${t("reason_" + reason)} ${summary.byReason[reason] || 0}` })));
  $("rv-by-intent").replaceChildren(...summary.byIntent.slice(0, TOP_INTENTS).map((row) => el("li",
    { class: "badge", "data-intent": row.intent ?? "", "data-count": String(row.count),
      text: `${row.intent ? codeOnlyLabel(row.intent) : t("intent_unknown")} ${row.count}` })));
}

// The Chinese name alone where there is one (a summary chip has little room).
function codeOnlyLabel(intent) {
  const name = nameOf(intent);
  return name.includes(" · ") ? name.split(" · ")[0] : name;
}

// ------------------------------------------------------------ groups

function itemView(item) {
  const reasons = item.reasons.map((reason) => el("span",
    { class: "badge reason", "data-reason": reason, text: t("reason_" + reason) }));
  const guess = el("span", { class: "rv-item-guess", "data-intent": item.intent ?? "",
    "data-confidence": typeof item.confidence === "number" ? String(item.confidence) : "null",
    text: `${t("rvGuess")}：${nameOf(item.intent)} · ${confidenceText(item.confidence)}` });
  const dismiss = el("button", { type: "button", class: "chip-button", "data-action": "dismiss-one",
    text: t("rvDismissOne"), "aria-label": `${t("rvDismissOne")}：${item.text}`,
    onclick: () => dismissItem(item) });
  const notes = (item.notes || []).map((n) => el("p", { class: "rv-note",
    text: n.agent ? t("rvNoteBy", { agent: n.agent, note: n.note }) : t("rvNote", { note: n.note }) }));
  return el("li", { class: "rv-item", "data-message": String(item.message_id) },
    el("p", { class: "rv-text", text: item.text }),
    el("div", { class: "rv-meta" }, guess, ...reasons, dismiss), ...notes);
}

const sizeText = (n) => (n === 1 ? t("rvGroupOne") : t("rvGroupSize", { n }));

function groupView(group, index) {
  const current = index === state.current;
  const actions = el("div", { class: "rv-actions" });
  if (group.guess) {
    actions.append(el("button", { type: "button", class: "primary", "data-action": "accept", "data-intent": group.guess,
      "aria-keyshortcuts": "Enter", text: t("rvAccept", { label: nameOf(group.guess) }),
      onclick: () => labelGroup(group, group.guess) }));
  }
  (group.suggestions || []).forEach((intent, i) => actions.append(el("button", {
    type: "button", class: "chip-button", "data-action": "suggest", "data-intent": intent, "data-key": String(i + 1),
    "aria-keyshortcuts": String(i + 1), text: t("rvSuggestion", { n: i + 1, label: codeOnlyLabel(intent) }),
    title: intent, onclick: () => labelGroup(group, intent) })));
  actions.append(
    el("button", { type: "button", "data-action": "pick", text: t("rvPickOther"), "aria-keyshortcuts": "/",
                   onclick: () => { select(index); $("rv-search").focus(); } }),
    el("button", { type: "button", "data-action": "dismiss", "aria-keyshortcuts": "D", text: t("rvDismiss"),
                   onclick: () => dismissGroup(group) }));

  const head = el("div", { class: "rv-group-head" },
    el("span", { class: "badge group", text: sizeText(group.items.length) }),
    el("span", { class: "rv-guess", text: group.guess ? `${t("rvGuess")}：${nameOf(group.guess)}` : t("rvNoGuess") }));
  const node = el("li", { class: "rv-group" + (current ? " current" : ""), tabindex: "-1",
    "data-group": String(group.id), "data-size": String(group.items.length), "data-guess": group.guess ?? "",
    "aria-label": `${sizeText(group.items.length)} · ${group.items[0].text}` },
    head, el("ul", { class: "rv-items", "aria-label": t("rvItemsHeading") }, ...group.items.map(itemView)), actions);
  if (current) node.setAttribute("aria-current", "true");
  node.addEventListener("click", (event) => { if (!event.target.closest("button")) select(index); });
  return node;
}

function renderGroups() {
  if (state.current >= state.groups.length) state.current = Math.max(0, state.groups.length - 1);
  $("rv-groups").replaceChildren(...state.groups.map(groupView));
  $("rv-empty").hidden = state.groups.length > 0;
  renderSummary(summaryOf(state.groups));
  renderPickerTarget();
}

function currentGroup() {
  return state.groups[state.current] || null;
}

function groupNode(index) {
  return $("rv-groups").children[index] || null;
}

// Makes group ``index`` current; with ``focus`` the group itself takes the focus
// (so the keys act on it and screen readers read it) and scrolls into view.
function select(index, focus = false) {
  if (!state.groups.length) return;
  state.current = Math.max(0, Math.min(index, state.groups.length - 1));
  [...$("rv-groups").children].forEach((node, i) => {
    node.classList.toggle("current", i === state.current);
    if (i === state.current) node.setAttribute("aria-current", "true");
    else node.removeAttribute("aria-current");
  });
  renderPickerTarget();
  const node = groupNode(state.current);
  if (focus && node) {
    node.focus({ preventScroll: true });
    node.scrollIntoView({ block: "nearest" });
  }
}

function renderPickerTarget() {
  const group = currentGroup();
  $("rv-picker-for").textContent = group ? t("rvPickerFor", { n: group.items.length }) : t("rvPickerNone");
}

// ------------------------------------------------------------ the intent picker

function renderIntents() {
  const query = $("rv-search").value.trim().toLowerCase();
  const matches = state.intents.filter((intent) => !query || intent.toLowerCase().includes(query) ||
    String(state.labels[intent] || "").toLowerCase().includes(query));
  $("rv-intents").replaceChildren(...matches.map((intent) => el("li", {}, el("button", {
    type: "button", class: "rv-intent", "data-intent": intent, text: nameOf(intent),
    onclick: () => { const g = currentGroup(); if (g) labelGroup(g, intent); } }))));
  $("rv-no-match").hidden = matches.length > 0;
}

function onSearchKey(event) {
  if (event.isComposing || event.keyCode === 229) return;   // the IME is still choosing
  if (event.key === "Enter") {
    event.preventDefault();
    const first = $("rv-intents").querySelector("button[data-intent]");
    const group = currentGroup();
    if (first && group) labelGroup(group, first.dataset.intent);
  } else if (event.key === "ArrowDown") {
    const first = $("rv-intents").querySelector("button");
    if (first) {
      event.preventDefault();
      first.focus();
    }
  }
}

// ↑ / ↓ walk the intent list; ↑ from the first goes back to the search box.
function onIntentListKey(event) {
  if (!event.target.matches("button[data-intent]") || !["ArrowDown", "ArrowUp"].includes(event.key)) return;
  event.preventDefault();
  const buttons = [...$("rv-intents").querySelectorAll("button[data-intent]")];
  const at = buttons.indexOf(event.target) + (event.key === "ArrowDown" ? 1 : -1);
  if (at < 0) $("rv-search").focus();
  else if (buttons[at]) buttons[at].focus();
}

function onNewIntent(event) {
  event.preventDefault();
  const box = $("rv-new-intent");
  const name = box.value.trim();
  const group = currentGroup();
  if (!name || !group) return;
  labelGroup(group, name).then((done) => { if (done) box.value = ""; });
}

// ------------------------------------------------------------ deciding

const groupPath = (group) => "/review/groups/" + encodeURIComponent(group.id);

// Labels (intent) or dismisses (intent null) the group's items the trainer sees.
async function decide(group, intent) {
  if (state.busy || state.blocked) return false;
  state.busy = true;
  const node = [...$("rv-groups").children].find((n) => n.dataset.group === String(group.id));
  if (node) node.setAttribute("aria-busy", "true");
  try {
    const body = intent ? { intent } : { dismiss: true };
    const result = await post(groupPath(group), { ...body, message_ids: group.items.map((i) => i.message_id) });
    afterDecision(group, result.decisions);
    if (intent) {
      const files = (result.files || []).join("、");
      const fresh = result.decisions.some((d) => d.new_intent);
      toast(fresh ? t("rvWrittenNew", { intent, files }) : t("rvWritten", { files }));
      if (fresh && !state.intents.includes(intent)) {
        state.intents.push(intent);
        renderIntents();
      }
    } else {
      toast(t("rvDismissed", { n: result.decisions.length }));
    }
    if (result.skipped && result.skipped.length) {
      toast(t("rvSkipped", { n: result.skipped.length, reason: serverText(result.skipped[0].message) }), "error");
    }
    return true;
  } catch (error) {
    failed(error);
    return false;
  } finally {
    state.busy = false;
    if (node) node.removeAttribute("aria-busy");
  }
}

const labelGroup = (group, intent) => decide(group, intent);
const dismissGroup = (group) => decide(group, null);

async function dismissItem(item) {
  if (state.busy || state.blocked) return;
  const group = state.groups.find((g) => g.items.includes(item));
  if (!group) return;
  state.busy = true;
  try {
    const result = await post("/review/items/" + encodeURIComponent(item.message_id), { dismiss: true });
    afterDecision(group, [result.decision]);
    toast(t("rvDismissed", { n: 1 }));
  } catch (error) {
    failed(error);
  } finally {
    state.busy = false;
  }
}

// Takes the decided items off the page; a group left empty goes, the next one becomes current.
function afterDecision(group, decisions) {
  const done = new Set(decisions.map((d) => d.message_id));
  group.items = group.items.filter((item) => !done.has(item.message_id));
  const index = state.groups.indexOf(group);
  if (!group.items.length) {
    state.groups.splice(index, 1);
    state.current = Math.min(index, state.groups.length - 1);
  } else {
    group.id = group.items[0].message_id;   // the newest remaining item leads the group now
  }
  renderGroups();
  select(state.current, true);
}

function failed(error) {
  if (refused(error)) {
    block(error);
    return;
  }
  toast(errorText(error), "error");
  if (error instanceof ApiError && ["already_decided", "not_found"].includes(error.code)) load();
}

// ------------------------------------------------------------ keys

function onKey(event) {
  if (state.blocked || event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
  const target = event.target;
  if (target.matches("input, textarea, select")) {
    if (event.key === "Escape") {
      event.preventDefault();
      target.blur();
      select(state.current, true);
    }
    return;
  }
  if (document.querySelector("dialog[open]")) return;
  const group = currentGroup();
  if (event.key === "/") {
    event.preventDefault();
    $("rv-search").focus();
    $("rv-search").select();
  } else if (event.key === "j" || event.key === "k") {
    event.preventDefault();
    select(state.current + (event.key === "j" ? 1 : -1), true);
  } else if (event.key === "d" && group) {
    event.preventDefault();
    dismissGroup(group);
  } else if (event.key === "Enter" && group) {
    if (target.closest("button, a")) return;     // Enter on a button presses that button
    event.preventDefault();
    if (group.guess) labelGroup(group, group.guess);
    else $("rv-search").focus();
  } else if (/^[1-9]$/.test(event.key) && group) {
    const intent = (group.suggestions || [])[Number(event.key) - 1];
    if (intent) {
      event.preventDefault();
      labelGroup(group, intent);
    }
  }
}

// ------------------------------------------------------------ loading

async function load() {
  $("rv-loading").hidden = false;
  try {
    const inbox = await get("/review/inbox");
    state.intents = inbox.intents || [];
    // Chinese names: the domain's, then those of guesses outside it (nlu_fallback → 没听懂).
    state.labels = { ...(inbox.intent_labels || {}) };
    for (const row of inbox.by_intent || []) if (row.intent && !state.labels[row.intent]) state.labels[row.intent] = row.label;
    state.truncated = !!inbox.truncated;
    state.limit = inbox.pending;
    state.groups = (inbox.groups || []).map((g) => ({ ...g, items: [...g.items] }));
    state.current = Math.min(state.current, Math.max(0, state.groups.length - 1));
    renderIntents();
    renderGroups();
  } catch (error) {
    if (refused(error)) block(error);
    else toast(errorText(error), "error");
  } finally {
    $("rv-loading").hidden = true;
  }
}

async function logout() {
  try {
    await post("/logout");
  } catch (_) {
    // Signed out locally either way.
  }
  location.assign("/console/");
}

async function start() {
  translatePage();
  document.addEventListener("keydown", onKey);
  $("rv-search").addEventListener("input", renderIntents);
  $("rv-search").addEventListener("keydown", onSearchKey);
  $("rv-intents").addEventListener("keydown", onIntentListKey);
  $("rv-new-intent-form").addEventListener("submit", onNewIntent);
  $("rv-refresh").addEventListener("click", load);
  $("rv-logout").addEventListener("click", logout);

  let me;
  try {
    me = await get("/me");
  } catch (error) {
    if (refused(error)) block(error);
    else toast(errorText(error), "error");
    return;
  }
  setCsrf(me.csrf_token);
  if (!REVIEWERS.includes(me.user.role)) {
    block(new ApiError(403, "forbidden"));
    return;
  }
  $("me-name").textContent = `${me.user.name}（${me.user.login}）`;
  // Trainers take no chats: the console has nothing for them but this page.
  $("back-to-console").hidden = me.user.role === "trainer";
  $("rv-logout").hidden = false;
  $("rv-main").hidden = false;
  await load();
}

start();

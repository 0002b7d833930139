// The review inbox's strings (review.html), and those of the agents' 「标记给训练师」
// button in the chat view (livechat.js), kept apart from i18n.js like the dashboard's:
// Chinese first, English fills any key Chinese lacks, elements marked data-i18n /
// data-i18n-label / data-i18n-placeholder get their text from here. Keys it does not
// have come from the console's own table.

import { codeLabel, t as consoleT } from "./i18n.js";

export const zh = {
  rvTitle: "小二 · 标注收件箱",
  rvHeading: "标注收件箱",
  rvLink: "标注收件箱",
  rvBack: "返回工作台",
  rvConversations: "会话复盘",
  rvSignOut: "退出登录",
  rvGoSignIn: "前往登录",
  rvSignInFirst: "亲，请先登录客服工作台，再打开标注收件箱哦。",
  rvReviewersOnly: "抱歉，标注收件箱仅对训练师和主管开放。如需使用，请联系您的主管开通权限。",
  rvLoading: "正在加载…",
  rvRefresh: "刷新",
  rvPending: "待处理",
  rvPendingUnit: "条",
  rvTruncated: "只显示最新的 {n} 条",
  rvConcentrate: "主要集中在",
  rvByReason: "来源",
  rvGroups: "相似问题分组",
  rvEmpty: "太棒了，收件箱已经清空，暂时没有需要标注的消息。",
  rvKeysTitle: "快捷键",
  rvKeys: "Enter 采用机器人的猜测 · 1–9 选择建议意图 · / 搜索意图 · d 忽略本组 · j / k 切换上下组",
  rvGroupSize: "{n} 条相似",
  rvGroupOne: "单条",
  rvGuess: "机器人猜测",
  rvNoGuess: "机器人没有猜测",
  rvConfidence: "置信度 {p}%",
  rvNoConfidence: "无置信度",
  rvAccept: "采用「{label}」",
  rvSuggestion: "{n}. {label}",
  rvDismiss: "忽略本组",
  rvDismissOne: "忽略这条",
  rvPickOther: "选择其他意图…",
  rvNote: "客服备注：{note}",
  rvNoteBy: "{agent} 备注：{note}",
  reason_unsure: "机器人没把握",
  reason_handoff: "转人工前一句",
  reason_flagged: "客服标记",
  rvPicker: "选择意图",
  rvPickerFor: "标注当前分组（{n} 条）",
  rvPickerNone: "请先在左侧选择一个分组",
  rvSearch: "搜索意图（按 / 聚焦）",
  rvSearchLabel: "搜索意图",
  rvNoMatch: "没有匹配的意图，可以在下方新建",
  rvNewIntent: "新建意图",
  rvNewIntentLabel: "新意图名称",
  rvNewIntentHint: "小写英文字母、数字和下划线，例如 ask_size_chart",
  rvNewIntentButton: "新建并标注",
  rvWritten: "已写入 {files}",
  rvWrittenNew: "已新建意图 {intent}，写入 {files}",
  rvDismissed: "已忽略 {n} 条",
  rvSkipped: "有 {n} 条没有处理：{reason}",
  rvItemsHeading: "本组消息",
  rvIntentsLabel: "意图",
  intent_unknown: "（无）",
  // The agents' flag button in the chat view (livechat.js)
  flagButton: "标记给训练师",
  flagButtonLabel: "把这句话标记给训练师：{text}",
  flagTitle: "标记给训练师",
  flagIntro: "机器人没理解好这句话？标记后训练师会在标注收件箱里看到它。",
  flagNote: "备注（选填，最多 200 字）",
  flagNotePlaceholder: "例如：顾客其实是想改地址",
  flagConfirm: "提交标记",
  flagged: "已标记",
  flagDone: "已标记给训练师，谢谢！",
  // Errors of the review API
  err_forbidden: "抱歉，只有训练师或主管可以使用标注收件箱",
  err_already_decided: "这条消息已经被处理过了，已为您刷新",
  err_not_found: "这条消息已不在收件箱中，已为您刷新",
  err_trainer_unavailable: "标注工具暂不可用，请联系管理员",
  err_training_data_unavailable: "读取训练数据失败，请联系管理员",
  err_not_shopper_message: "只能标记顾客发送的消息",
  err_generic: "操作失败（{status}），请稍后重试",
  err_network: "网络异常，无法连接服务器",
};

export const en = {
  rvTitle: "Xiaoer · review inbox",
  rvHeading: "Review inbox",
  rvLink: "Review inbox",
  rvBack: "Back to the console",
  rvConversations: "Conversation review",
  rvSignOut: "Sign out",
  rvGoSignIn: "Go to sign-in",
  rvSignInFirst: "Please sign in to the console first, then open the review inbox.",
  rvReviewersOnly: "Sorry, the review inbox is for trainers and supervisors only.",
  rvLoading: "Loading…",
  rvRefresh: "Refresh",
  rvPending: "Pending",
  rvPendingUnit: "",
  rvTruncated: "showing the newest {n}",
  rvConcentrate: "Mostly",
  rvByReason: "Why",
  rvGroups: "Similar messages",
  rvEmpty: "All done: nothing left to label right now.",
  rvKeysTitle: "Keys",
  rvKeys: "Enter accepts the bot's guess · 1–9 pick a suggestion · / search intents · d dismiss the group · j / k next / previous group",
  rvGroupSize: "{n} similar",
  rvGroupOne: "single",
  rvGuess: "Bot's guess",
  rvNoGuess: "no guess",
  rvConfidence: "confidence {p}%",
  rvNoConfidence: "no confidence",
  rvAccept: "Accept “{label}”",
  rvSuggestion: "{n}. {label}",
  rvDismiss: "Dismiss group",
  rvDismissOne: "Dismiss this one",
  rvPickOther: "Other intent…",
  rvNote: "Agent's note: {note}",
  rvNoteBy: "{agent}'s note: {note}",
  reason_unsure: "bot unsure",
  reason_handoff: "before a handoff",
  reason_flagged: "flagged by an agent",
  rvPicker: "Pick an intent",
  rvPickerFor: "Label the current group ({n})",
  rvPickerNone: "Select a group first",
  rvSearch: "Search intents (press /)",
  rvSearchLabel: "Search intents",
  rvNoMatch: "No matching intent: create one below",
  rvNewIntent: "New intent",
  rvNewIntentLabel: "New intent name",
  rvNewIntentHint: "lowercase letters, digits and underscores, e.g. ask_size_chart",
  rvNewIntentButton: "Create and label",
  rvWritten: "Written to {files}",
  rvWrittenNew: "New intent {intent}, written to {files}",
  rvDismissed: "Dismissed {n}",
  rvSkipped: "{n} left as they were: {reason}",
  rvItemsHeading: "Messages in this group",
  rvIntentsLabel: "Intents",
  intent_unknown: "(none)",
  flagButton: "Flag for trainers",
  flagButtonLabel: "Flag this message for the trainers: {text}",
  flagTitle: "Flag for trainers",
  flagIntro: "Did the bot get this wrong? Trainers will see it in their review inbox.",
  flagNote: "Note (optional, up to 200 characters)",
  flagNotePlaceholder: "e.g. the shopper wants to change the address",
  flagConfirm: "Flag",
  flagged: "Flagged",
  flagDone: "Flagged for the trainers, thank you!",
  err_forbidden: "Only trainers and supervisors can use the review inbox",
  err_already_decided: "Somebody already decided this message; the inbox was reloaded",
  err_not_found: "This message is no longer in the inbox; the inbox was reloaded",
  err_trainer_unavailable: "The labelling tools are not available; ask an administrator",
  err_training_data_unavailable: "Cannot read the training data; ask an administrator",
  err_not_shopper_message: "Only the shopper's messages can be flagged",
  err_generic: "Request failed ({status}); please retry",
  err_network: "Network error: cannot reach the server",
};

const english = (document.documentElement.lang || "zh").toLowerCase().startsWith("en");
const table = english ? { ...zh, ...en } : zh;

export function t(key, vars = {}) {
  const template = table[key] ?? en[key];
  if (template === undefined) return consoleT(key, vars);
  return template.replace(/\{(\w+)\}/g, (_, name) => String(vars[name] ?? ""));
}

export function has(key) {
  return key in table || key in en;
}

// An intent as trainers read it: "查询物流 · track_logistics" (the code is what they pick).
export function intentName(intent, chinese) {
  if (!intent) return t("intent_unknown");
  const label = codeLabel("intent", intent, chinese);
  return label && label !== intent ? `${label} · ${intent}` : intent;
}

export function translatePage(root = document) {
  for (const node of root.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  for (const node of root.querySelectorAll("[data-i18n-placeholder]")) node.placeholder = t(node.dataset.i18nPlaceholder);
  for (const node of root.querySelectorAll("[data-i18n-label]")) node.setAttribute("aria-label", t(node.dataset.i18nLabel));
  document.title = t("rvTitle");
}

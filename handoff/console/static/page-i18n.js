// The strings of one console page (dashboard, review inbox, conversation review), kept
// apart from i18n.js (which the agent console loads whole) but used the same way:
// Chinese first, English fills any key Chinese lacks, keys the page lacks come from the
// console's own table, and elements marked data-i18n / data-i18n-placeholder /
// data-i18n-label get their text from here.

import { t as consoleT } from "./i18n.js";

export function pageStrings(zh, en, titleKey) {
  const english = (document.documentElement.lang || "zh").toLowerCase().startsWith("en");
  const table = english ? { ...zh, ...en } : zh;

  function t(key, vars = {}) {
    const template = table[key] ?? en[key];
    if (template === undefined) return consoleT(key, vars);
    return template.replace(/\{(\w+)\}/g, (_, name) => String(vars[name] ?? ""));
  }

  function has(key) {
    return key in table || key in en;
  }

  function translatePage(root = document) {
    for (const node of root.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
    for (const node of root.querySelectorAll("[data-i18n-placeholder]")) node.placeholder = t(node.dataset.i18nPlaceholder);
    for (const node of root.querySelectorAll("[data-i18n-label]")) node.setAttribute("aria-label", t(node.dataset.i18nLabel));
    document.title = t(titleKey);
  }

  return { t, has, translatePage };
}

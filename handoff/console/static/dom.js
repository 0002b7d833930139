// Page building shared by the console's modules. Nodes get their text through
// textContent only (never innerHTML): shopper text is hostile input.

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key === "onclick") node.addEventListener("click", value);
    else node.setAttribute(key, value);
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

// positive | neutral | negative for {label, score}, or null; a bare score counts from ±0.2
// (handoff/summary.py calls a shopper unhappy from the same point).
export function sentimentKind(sentiment) {
  if (!sentiment) return null;
  const label = String(sentiment.label || "").toLowerCase();
  if (["positive", "neutral", "negative"].includes(label)) return label;
  const score = Number(sentiment.score);
  if (Number.isNaN(score)) return null;
  return score <= -0.2 ? "negative" : score >= 0.2 ? "positive" : "neutral";
}

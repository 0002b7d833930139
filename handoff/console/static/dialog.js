// A modal <dialog> for the steps that deserve a second look: editing a quick reply,
// deciding a refund, changing an address. Errors from the server stay inside the
// dialog (next to what the agent typed) instead of a toast behind the backdrop.
// Built with DOM calls and classes only: the page's CSP allows no inline code or style.

import { el } from "./dom.js";
import { t } from "./i18n.js";

let opened = 0;

// openDialog({ title, content: [nodes], confirmText, danger, onConfirm(form) })
// onConfirm resolves to null when done (the dialog closes) or to a message to show.
export function openDialog({ title, content, confirmText, danger = false, onConfirm }) {
  const id = `dialog-title-${++opened}`;
  const error = el("p", { class: "form-error", role: "alert", hidden: "" });
  const confirm = el("button", { type: "submit", class: danger ? "danger" : "primary", text: confirmText });
  const cancel = el("button", { type: "button", text: t("cancel") });
  const form = el("form", { class: "stack", novalidate: "" }, ...content, error,
    el("div", { class: "row dialog-buttons" }, cancel, confirm));
  const dialog = el("dialog", { class: "console-dialog", "aria-labelledby": id },
    el("h3", { id, text: title }), form);

  cancel.addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", () => dialog.remove());
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!form.reportValidity()) return;
    confirm.disabled = true;
    try {
      const problem = await onConfirm(form);
      if (problem) {
        error.textContent = problem;
        error.hidden = false;
      } else {
        dialog.close();
      }
    } finally {
      confirm.disabled = false;
    }
  });
  document.body.append(dialog);
  dialog.showModal();
  return dialog;
}

// A labelled control for a dialog form: field(t("title"), el("input", {...})).
export function field(label, control, hint) {
  if (!control.id) control.id = `field-${++opened}`;
  return el("div", { class: "field" },
    el("label", { for: control.id, text: label }), control,
    hint ? el("small", { class: "muted", text: hint }) : null);
}

/**
 * Every page: after a form came back with errors, move the keyboard focus to the first field in error (its message
 * is tied to it by aria-describedby, so a screen reader reads it), or to the error summary when no field is named.
 * The summary's links move the focus to their field.
 */
function focusFirstError() {
  const invalid = document.querySelector('[aria-invalid="true"]');
  const summary = document.querySelector("[data-error-summary]");
  if (invalid) {
    const target = invalid.matches("fieldset") ? invalid.querySelector("input, select, textarea") : invalid;
    (target || invalid).focus();
  } else if (summary) {
    summary.focus();
  }
}

function linkSummaryToFields() {
  for (const link of document.querySelectorAll("[data-error-summary] a[href^='#']")) {
    link.addEventListener("click", (event) => {
      const field = document.getElementById(link.getAttribute("href").slice(1));
      if (!field) return;
      event.preventDefault();
      const target = field.matches("fieldset") ? field.querySelector("input, select, textarea") : field;
      (target || field).focus();
    });
  }
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", () => { linkSummaryToFields(); focusFirstError(); });
} else {
  linkSummaryToFields();
  focusFirstError();
}

// "Drukuj" on the printable invoice view (no inline scripts: CSP).
for (const button of document.querySelectorAll("[data-print]")) {
  button.addEventListener("click", () => window.print());
}

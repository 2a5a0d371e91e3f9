/**
 * "Token został wygenerowany": "Kopiuj token" puts the token on the clipboard; where the clipboard is not available
 * (or refuses), the token is selected in its field for Ctrl+C. The token is never sent anywhere by this script.
 */
const button = document.getElementById("kopiuj-token");
const field = document.getElementById(button.dataset.copyFrom);
const status = document.getElementById("kopiowanie");

function selectToken() {
  field.focus();
  field.select();
}

field.addEventListener("focus", () => field.select());
button.hidden = false;
button.addEventListener("click", async () => {
  try {
    if (!navigator.clipboard) throw new Error("no clipboard");
    await navigator.clipboard.writeText(field.value);
    status.textContent = "Skopiowano token do schowka.";
  } catch {
    selectToken();
    status.textContent = "Nie udało się skopiować automatycznie — token jest zaznaczony: skopiuj go skrótem Ctrl+C.";
  }
});

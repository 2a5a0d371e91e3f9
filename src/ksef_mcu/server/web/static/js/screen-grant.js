/**
 * "Nadaj uprawnienie": show the part of the form for the chosen "Rodzaj uprawnienia" (a person or an entity) and,
 * for a person identified by a certificate fingerprint, the fields that describe them; the right to pass a
 * permission on can be ticked only with the permission itself. Without this script every part is shown and the
 * server reads the chosen one.
 */
const form = document.getElementById("nadaj");
const parts = [...form.querySelectorAll("[data-rodzaj]")];
const fingerprintPart = document.getElementById("dane-odcisku");

function checkedValue(name) {
  const checked = form.querySelector(`input[name="${name}"]:checked`);
  return checked ? checked.value : null;
}

function update() {
  const kind = checkedValue("rodzaj");
  for (const part of parts) {
    const shown = part.dataset.rodzaj === kind;
    part.hidden = !shown;
    part.disabled = !shown;
  }
  if (fingerprintPart) fingerprintPart.hidden = checkedValue("typ-identyfikatora") !== "Fingerprint";
  for (const right of form.querySelectorAll('input[name="przekazywanie"]')) {
    const permission = form.querySelector(`input[name="uprawnienie-podmiotu"][value="${right.value}"]`);
    right.disabled = !permission || !permission.checked;
    if (right.disabled) right.checked = false;
  }
}

form.addEventListener("change", update);
update();

/** "Profil Zaufany" (test login): show the fields of the kind of subject chosen (firm: NIP; person: PESEL, names). */
const sections = document.querySelectorAll("[data-for-kind]");
const choices = document.querySelectorAll('input[name="rodzaj"]');

function show() {
  const chosen = [...choices].find((choice) => choice.checked)?.value ?? "nip";
  for (const section of sections) section.hidden = section.dataset.forKind !== chosen;
}

for (const choice of choices) choice.addEventListener("change", show);
show();

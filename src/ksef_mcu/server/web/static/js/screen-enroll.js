/**
 * "Wnioskuj o certyfikat": live validation of the name and the password with the MCU rules' messages, "Generuj"
 * (key pair, `.key` file and CSR made in this browser: enroll.js), then step two "Przesłanie wniosku" with the CSR in
 * its form. Only the CSR and the name leave the page; the password fields have no name and are cleared once used.
 */
import { generateKeyAndCsr } from "./enroll.js";
import { saveTextFile } from "./download.js";
import { certificateNameFailures, passwordRepeatFailure, passwordRuleFailures } from "./rules.js";

const generateForm = document.getElementById("generowanie");
const nameInput = document.getElementById("nazwa-certyfikatu");
const passwordInput = document.getElementById("haslo");
const repeatInput = document.getElementById("powtorz-haslo");
const button = document.getElementById("generuj");
const progress = document.getElementById("postep");
const stepTwo = document.getElementById("krok-2");
const enrollmentData = JSON.parse(document.getElementById("dane-wniosku").textContent);

function show(input, messages) {
  const text = document.getElementById(`${input.id}-error`);
  const field = input.closest(".field");
  if (messages.length) {
    text.textContent = messages.join(" ");
    text.hidden = false;
    input.setAttribute("aria-invalid", "true");
    field?.classList.add("field--invalid");
  } else {
    text.textContent = "";
    text.hidden = true;
    input.removeAttribute("aria-invalid");
    field?.classList.remove("field--invalid");
  }
}

const RULE_CHECKS = {
  length: (p) => Array.from(p).length >= 15 && Array.from(p).length <= 32,
  upper: (p) => /[A-Z]/.test(p),
  lower: (p) => /[a-z]/.test(p),
  digit: (p) => /[0-9]/.test(p),
  special: (p) => Array.from(p).some((c) => "!@#$%^&*()-_=+".includes(c)),
};

function markRules(password) {
  for (const item of document.querySelectorAll("#zasady-hasla [data-rule]")) {
    item.dataset.met = RULE_CHECKS[item.dataset.rule](password) ? "yes" : "no";
  }
}

const checks = {
  name: () => certificateNameFailures(nameInput.value),
  password: () => passwordRuleFailures(passwordInput.value),
  repeat: () => {
    if (!repeatInput.value && !passwordInput.value) return [];
    const failure = passwordRepeatFailure(passwordInput.value, repeatInput.value);
    return failure ? [failure] : [];
  },
};

nameInput.addEventListener("input", () => show(nameInput, checks.name()));
passwordInput.addEventListener("input", () => {
  markRules(passwordInput.value);
  show(passwordInput, checks.password());
  if (repeatInput.value) show(repeatInput, checks.repeat());
});
repeatInput.addEventListener("input", () => show(repeatInput, checks.repeat()));

generateForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const failures = [
    [nameInput, checks.name()],
    [passwordInput, checks.password()],
    [repeatInput, repeatInput.value ? checks.repeat() : ["Powtórz hasło."]],
  ];
  for (const [input, messages] of failures) show(input, messages);
  const first = failures.find(([, messages]) => messages.length);
  if (first) {
    first[0].focus();
    return;
  }
  const name = nameInput.value;
  const kind = generateForm.querySelector('input[name="rodzaj-klucza"]:checked')?.value ?? "ec-p256";
  button.disabled = true;
  progress.hidden = false;
  try {
    const made = await generateKeyAndCsr({ kind, password: passwordInput.value, enrollmentData });
    saveTextFile(`${name}.key`, made.keyFile);
    passwordInput.value = "";
    repeatInput.value = "";
    markRules("");
    document.getElementById("wniosek-nazwa").value = name;
    document.getElementById("wniosek-csr").value = made.csr;
    document.getElementById("plik-klucza").textContent = `${name}.key`;
    document.getElementById("zapisano-klucz").hidden = false;
    stepTwo.hidden = false;
    document.getElementById("krok-2-tytul").focus();
  } catch (error) {
    show(passwordInput, [error.message || "Nie udało się wygenerować klucza w tej przeglądarce."]);
    passwordInput.focus();
  } finally {
    button.disabled = false;
    progress.hidden = true;
  }
});
// The page renders "Generuj" disabled; it works only once the handler above is in place.
button.disabled = false;

// "Certyfikat ważny do": two years after the chosen start.
const validFrom = document.getElementById("wazny-od");
const validTo = document.getElementById("wazny-do");
validFrom?.addEventListener("input", () => {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(validFrom.value);
  if (!match) return;
  const [year, month, day] = [Number(match[1]) + 2, match[2], match[3]];
  const leapDay = month === "02" && day === "29" && !(year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0));
  validTo.textContent = `${year}-${month}-${leapDay ? "28" : day}`;
});

// The limit dialog: modal, so the keyboard focus goes into it; "Zamknij" (or Esc) closes it.
const dialog = document.querySelector("dialog[data-modal]");
if (dialog) {
  dialog.close();
  dialog.classList.remove("dialog-inline");
  dialog.showModal();
  dialog.querySelector("[data-close-dialog]")?.addEventListener("click", () => dialog.close());
}

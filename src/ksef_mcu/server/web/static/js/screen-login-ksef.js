/**
 * "Certyfikat KSeF" login: the browser opens the certificate and the key with the password, asks the server to prepare
 * the AuthTokenRequest and its SignedInfo for that certificate, signs those bytes, and sends only the SignatureValue.
 * The key file and the password never leave the page (their inputs have no name; nothing here sends them).
 */
import { toBase64, fromBase64 } from "./pem.js";
import { openSigningCredentials, signSignedInfo } from "./xades.js";

const form = document.getElementById("logowanie-ksef");
const progress = document.getElementById("postep");
const button = document.getElementById("zaloguj");
const errorsBox = document.getElementById("bledy-logowania");
const csrf = form.querySelector('input[name="csrf_token"]').value;

function fieldError(id, message) {
  const input = document.getElementById(id);
  const text = document.getElementById(`${id}-error`);
  if (message) {
    text.textContent = message;
    text.hidden = false;
    input.setAttribute("aria-invalid", "true");
  } else {
    text.textContent = "";
    text.hidden = true;
    input.removeAttribute("aria-invalid");
  }
}

function summary(messages) {
  errorsBox.replaceChildren();
  if (!messages.length) return;
  const box = document.createElement("div");
  box.className = "error-summary";
  box.setAttribute("role", "alert");
  box.tabIndex = -1;
  const title = document.createElement("h2");
  title.textContent = "Nie udało się zalogować";
  const list = document.createElement("ul");
  for (const { id, message } of messages) {
    const item = document.createElement("li");
    if (id) {
      const link = document.createElement("a");
      link.href = `#${id}`;
      link.textContent = message;
      link.addEventListener("click", (event) => { event.preventDefault(); document.getElementById(id).focus(); });
      item.append(link);
    } else {
      item.textContent = message;
    }
    list.append(item);
  }
  box.append(title, list);
  errorsBox.append(box);
  box.focus();
}

const FIELD_OF_CODE = {
  "wrong-password": "haslo", "password-required": "haslo", "key-mismatch": "klucz", "not-a-key": "klucz",
  "unsupported-key-encryption": "klucz", "unsupported-key": "klucz", "not-a-certificate": "certyfikat",
};

async function readFile(id) {
  const file = document.getElementById(id).files[0];
  return file ? new Uint8Array(await file.arrayBuffer()) : null;
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const problems = [];
  for (const id of ["certyfikat", "klucz", "haslo", "kontekst"]) fieldError(id, "");
  const [certificateBytes, keyBytes] = await Promise.all([readFile("certyfikat"), readFile("klucz")]);
  const password = document.getElementById("haslo").value;
  const context = document.getElementById("kontekst").value.trim();
  if (!context) problems.push({ id: "kontekst", message: "Podaj identyfikator kontekstu logowania." });
  if (!certificateBytes) problems.push({ id: "certyfikat", message: "Wybierz plik certyfikatu (.crt)." });
  if (!keyBytes) problems.push({ id: "klucz", message: "Wybierz plik klucza prywatnego (.key)." });
  if (!password) problems.push({ id: "haslo", message: "Podaj hasło do klucza prywatnego." });
  if (problems.length) {
    for (const { id, message } of problems) fieldError(id, message);
    summary(problems);
    return;
  }
  button.disabled = true;
  progress.hidden = false;
  try {
    const credentials = await openSigningCredentials(certificateBytes, keyBytes, password);
    const body = new URLSearchParams({
      "kontekst-typ": document.getElementById("kontekst-typ").value,
      kontekst: context,
      certyfikat: credentials.certificate.base64,
    });
    const response = await fetch("/logowanie/certyfikat-ksef/przygotowanie", {
      method: "POST",
      headers: { "X-CSRF-Token": csrf },
      body,
      credentials: "same-origin",
    });
    const answer = await response.json().catch(() => ({ error: "Serwer nie odpowiedział poprawnie. Spróbuj ponownie." }));
    if (!response.ok) {
      const id = answer.field === "kontekst-typ" ? "kontekst-typ" : answer.field;
      if (id && document.getElementById(id)) fieldError(id, answer.error);
      summary([{ id, message: answer.error }]);
      return;
    }
    const value = await signSignedInfo(credentials, fromBase64(answer.signedInfo), answer.signatureMethod);
    form.elements.stan.value = answer.state;
    form.elements.podpis.value = toBase64(value);
    form.submit();
  } catch (error) {
    const id = FIELD_OF_CODE[error.code] ?? null;
    const message = error.code ? error.message : "Nie udało się podpisać dokumentu w przeglądarce.";
    if (id) fieldError(id, message);
    summary([{ id, message }]);
  } finally {
    button.disabled = false;
    progress.hidden = true;
  }
});
// The page renders "Zaloguj" disabled; it works only once the handler above is in place.
button.disabled = false;

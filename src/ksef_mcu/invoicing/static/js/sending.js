// "Wyślij do KSeF": while the page waits for KSeF (one session: send, numbers, UPOs, close), say what is happening
// and keep the button from sending the files twice.
const form = document.querySelector("form[data-sending-form]");
if (form) {
  form.addEventListener("submit", () => {
    const input = form.querySelector("input[type=file]");
    const count = input && input.files ? input.files.length : 0;
    const status = document.querySelector("[data-sending-status]");
    if (status) {
      status.textContent = `Wysyłanie faktur do KSeF (${count}): sesja, szyfrowanie, numery KSeF i UPO. Nie zamykaj strony.`;
      status.hidden = false;
    }
    for (const button of form.querySelectorAll("button[type=submit]")) {
      button.disabled = true;
    }
  });
}

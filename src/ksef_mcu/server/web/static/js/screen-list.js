/**
 * "Lista certyfikatów": "Pobierz certyfikat" is enabled for 1 to 10 selected certificates; an 11th selection is
 * refused with a message; "Kopiuj" puts a serial number on the clipboard.
 */
const MAX = 10;
const form = document.getElementById("pobieranie");
const boxes = [...form.querySelectorAll('input[type="checkbox"][name="certyfikat"]')];
const button = document.getElementById("pobierz");
const limitMessage = document.getElementById("limit-zaznaczenia");
const counter = document.getElementById("licznik-zaznaczenia");

function selected() {
  return boxes.filter((box) => box.checked).length;
}

function update() {
  const count = selected();
  button.disabled = count < 1 || count > MAX;
  counter.textContent = count ? `Zaznaczono ${count} z najwyżej ${MAX}.` : "";
}

for (const box of boxes) {
  box.addEventListener("change", () => {
    if (box.checked && selected() > MAX) {
      box.checked = false;
      limitMessage.textContent = `Naraz można pobrać najwyżej ${MAX} certyfikatów. Odznacz inny, aby zaznaczyć ten.`;
      limitMessage.hidden = false;
    } else {
      limitMessage.hidden = true;
    }
    update();
  });
}
update();

for (const copy of document.querySelectorAll("[data-copy]")) {
  if (!navigator.clipboard) continue;
  copy.hidden = false;
  copy.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(copy.dataset.copy);
      copy.textContent = "Skopiowano";
    } catch {
      copy.textContent = "Zaznacz i skopiuj ręcznie";
    }
    setTimeout(() => { copy.textContent = "Kopiuj"; }, 2000);
  });
}

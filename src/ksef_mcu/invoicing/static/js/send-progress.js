// "Wysyłka faktur do KSeF": follow a sending that runs in Obsługa Faktur's background — poll its JSON status (the same
// origin, the session cookie) and show each file's stage, KSeF number, UPO link or error, and the progress bar.
// Everything is written with textContent: file names and messages are never parsed as markup.
const panel = document.querySelector("[data-send-job]");
const INTERVAL_MS = 500;

function cell(row, name) {
  return row.querySelector(`[data-cell="${name}"]`);
}

function showFile(row, file) {
  const stage = cell(row, "stan");
  const label = document.createElement("span");
  label.className = `stage stage--${file.stage}`;
  label.textContent = file.stageLabel;
  stage.replaceChildren(label);
  if (file.message) {
    const message = document.createElement("span");
    message.className = "stage__message";
    message.textContent = file.message;
    stage.append(" ", message);
  }
  const number = cell(row, "numer");
  if (file.ksefNumber) {
    const serial = document.createElement("span");
    serial.className = "serial";
    serial.textContent = file.ksefNumber;
    number.replaceChildren(serial);
  } else {
    number.textContent = "—";
  }
  const upo = cell(row, "upo");
  if (file.upoUrl) {
    const link = document.createElement("a");
    link.href = file.upoUrl;
    link.textContent = "Pobierz UPO";
    upo.replaceChildren(link);
  } else {
    upo.textContent = "—";
  }
}

function show(status) {
  const bar = panel.querySelector("progress");
  bar.max = status.progress.max;
  bar.value = status.progress.value;
  bar.textContent = `${status.progress.percent} %`;
  panel.querySelector("[data-send-percent]").textContent = `${status.progress.percent} %`;
  const summary = panel.querySelector("[data-send-summary]");
  const text = summary.querySelector("p");
  if (text.textContent !== status.summary) {
    text.textContent = status.summary;
  }
  if (status.finished) {
    const complete = status.state === "done" && status.files.every((file) => file.stage === "upo");
    summary.classList.add(complete ? "notice--ok" : "notice--warning");
    panel.dataset.finished = "tak";
  }
  for (const file of status.files) {
    const row = panel.querySelector(`[data-send-file="${file.position}"]`);
    if (row) {
      showFile(row, file);
    }
  }
}

async function follow() {
  let failures = 0;
  while (panel.dataset.finished !== "tak") {
    await new Promise((resolve) => setTimeout(resolve, INTERVAL_MS));
    try {
      const response = await fetch(panel.dataset.sendJob, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
        cache: "no-store",
      });
      if (!response.ok || !(response.headers.get("content-type") || "").startsWith("application/json")) {
        throw new Error(`HTTP ${response.status}`);
      }
      show(await response.json());
      failures = 0;
    } catch {
      failures += 1;
      if (failures >= 5) {
        panel.querySelector("[data-send-summary] p").textContent =
          "Nie można odczytać stanu wysyłki. Odśwież stronę — wysyłka trwa dalej w Obsłudze Faktur.";
        return;
      }
    }
  }
}

if (panel && panel.dataset.finished !== "tak") {
  follow();
}

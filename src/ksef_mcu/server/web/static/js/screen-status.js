/** The request's status page: ask every 2 s whether the request has ended, and show the result when it has. */
const box = document.getElementById("status");
const reference = box.dataset.reference;
const INTERVAL_MS = 2000;
const MAX_POLLS = 900; // half an hour; "Odśwież" still works after that

let polls = 0;
async function poll() {
  polls += 1;
  try {
    const response = await fetch(`/certyfikaty/wnioski/${reference}/stan`, { credentials: "same-origin" });
    if (response.ok) {
      const { code } = await response.json();
      if (code !== 100) {
        window.location.reload();
        return;
      }
    }
  } catch {
    // a moment without the network: try again at the next tick
  }
  if (polls < MAX_POLLS) setTimeout(poll, INTERVAL_MS);
}
setTimeout(poll, INTERVAL_MS);

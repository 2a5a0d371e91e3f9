/**
 * Save text the page made (the `.key` file, later the `.crt`) as a download, without any request to a server:
 * a Blob URL clicked through a temporary link.
 */

/**
 * How long the Blob URL outlives the click: the browser reads it for the download asynchronously, so it is not
 * revoked at once. It holds only the file the user is saving anyway (for a `.key`, the encrypted key).
 */
const REVOKE_AFTER_MS = 60000;

/** Offer `text` as a download named `fileName`. */
export function saveTextFile(fileName, text, type = "application/octet-stream") {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement("a");
  link.href = url;
  link.download = fileName;
  link.hidden = true;
  document.body.append(link);
  try {
    link.click();
  } finally {
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), REVOKE_AFTER_MS);
  }
}

/**
 * The one error type of the browser-side cryptography.
 *
 * `message` is Polish and safe to show to the user; `code` names the cause for the screens (for example
 * "wrong-password", "key-mismatch"); `details` holds one Polish sentence per broken rule where there are several.
 */
export class WebCryptoError extends Error {
  /**
   * @param {string} code stable identifier of the cause
   * @param {string} message Polish sentence for the user
   * @param {string[]} [details] further Polish sentences (e.g. every broken password rule)
   */
  constructor(code, message, details = []) {
    super(message);
    this.name = "WebCryptoError";
    this.code = code;
    this.details = details;
  }
}

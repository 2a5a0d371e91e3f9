/**
 * Base64 and PEM armour (RFC 7468), as our Python `keys.pem_encode` writes it: 64-character lines, final newline.
 */
import { FormatError } from "./der.js";

const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/g;

/** Standard Base64 of `bytes`, with padding and without line breaks. */
export function toBase64(bytes) {
  let binary = "";
  for (let offset = 0; offset < bytes.length; offset += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(offset, offset + 0x8000));
  }
  return btoa(binary);
}

/** The bytes of strict standard Base64 (white space is ignored); throws FormatError otherwise. */
export function fromBase64(text) {
  const compact = text.replace(/[ \t\r\n]+/g, "");
  if (!STRICT_BASE64.test(compact)) throw new FormatError("not Base64");
  return Uint8Array.from(atob(compact), (character) => character.charCodeAt(0));
}

/** PEM text for `der` under `label` (e.g. "ENCRYPTED PRIVATE KEY"). */
export function pemEncode(label, der) {
  const body = toBase64(der).replace(/.{64}/g, "$&\n").replace(/\n$/, "");
  return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
}

/**
 * Every PEM block in `text`, in order: `{label, headers, der}`. RFC 1421 headers (e.g. "Proc-Type") are kept so
 * legacy encrypted PEM can be recognised. Throws FormatError when a block's body is not Base64.
 */
export function pemBlocks(text) {
  const blocks = [];
  for (const match of text.matchAll(PEM_BLOCK)) {
    const headers = {};
    const body = [];
    for (const line of match[2].split(/\r?\n/)) {
      const stripped = line.trim();
      if (stripped.includes(":") && !body.length) {
        const colon = stripped.indexOf(":");
        headers[stripped.slice(0, colon).trim()] = stripped.slice(colon + 1).trim();
      } else if (stripped) {
        body.push(stripped);
      }
    }
    blocks.push({ label: match[1], headers, der: fromBase64(body.join("")) });
  }
  return blocks;
}

/** Upper-case hexadecimal of `bytes`. */
export function toHex(bytes) {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("").toUpperCase();
}

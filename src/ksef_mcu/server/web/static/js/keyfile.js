/**
 * Open the private key a user picks (to sign with an existing KSeF certificate): MCU `.key` files and the other
 * forms KSeF tools write, decrypted and imported in the browser. The key stays a non-extractable CryptoKey.
 *
 * Read: PEM or DER PKCS#8, encrypted (PBES2, see pkcs8.js) or not; PEM `EC PRIVATE KEY` (SEC1) and `RSA PRIVATE
 * KEY` (PKCS#1); Base64 of any of these DER forms without armour (what the official C# client writes). Not read
 * here: PKCS#12 and OpenSSL's legacy encrypted PEM (the `ksef-mcu` command line reads them).
 */
import {
  childrenOf,
  FormatError,
  nullValue,
  objectIdentifier,
  octetString,
  readElement,
  readWhole,
  sequence,
  Tag,
  unsignedInteger,
} from "./der.js";
import { WebCryptoError } from "./errors.js";
import { importPrivateKeyInfo, OID } from "./keys.js";
import { decryptPrivateKeyInfo } from "./pkcs8.js";
import { fromBase64, pemBlocks } from "./pem.js";

const WRONG_PASSWORD = "Nieprawidłowe hasło do klucza prywatnego.";
const UNKNOWN_FORMAT =
  "Nie rozpoznano klucza prywatnego. Obsługiwane formaty: PKCS#8 (PEM/DER, także zaszyfrowany), PKCS#1 i SEC1.";
const NOT_A_KEY = {
  certificate: "Plik zawiera certyfikat, a nie klucz prywatny.",
  csr: "Plik zawiera wniosek certyfikacyjny (CSR), a nie klucz prywatny.",
  "public-key": "Plik zawiera klucz publiczny, a nie prywatny.",
  pkcs12: "Pliki PKCS#12 (.p12/.pfx) nie są obsługiwane w przeglądarce; wybierz plik .key z kluczem prywatnym.",
};
const PEM_LABEL_SHAPES = {
  CERTIFICATE: "certificate",
  "TRUSTED CERTIFICATE": "certificate",
  "CERTIFICATE REQUEST": "csr",
  "NEW CERTIFICATE REQUEST": "csr",
  "PUBLIC KEY": "public-key",
  "RSA PUBLIC KEY": "public-key",
  PKCS12: "pkcs12",
};
const LEGACY_ENCRYPTED_PEM =
  "Klucz zaszyfrowany starszym formatem OpenSSL (nagłówek Proc-Type) nie jest obsługiwany w przeglądarce. " +
  "Zapisz go jako PKCS#8: openssl pkcs8 -topk8 -v2 aes-256-cbc -v2prf hmacWithSHA256 -iter 100000.";

function smallInteger(element) {
  return element && element.tag === Tag.INTEGER && element.content.length === 1 ? element.content[0] : null;
}

/**
 * Recognise a DER structure by its first children (as Python's `keys.der_shape`): "encrypted-pkcs8", "pkcs8",
 * "pkcs1", "sec1", "pkcs12", "certificate", "csr", "public-key" or "unknown".
 */
export function derShape(der) {
  let children;
  try {
    const outer = readWhole(der);
    if (outer.tag !== Tag.SEQUENCE) return "unknown";
    children = childrenOf(outer).slice(0, 3);
  } catch (error) {
    if (error instanceof FormatError) return "unknown";
    throw error;
  }
  const tags = children.map((child) => child.tag);
  const startsWith = (...prefix) => prefix.every((tag, index) => tags[index] === tag);
  const version = smallInteger(children[0]);
  if (startsWith(Tag.SEQUENCE, Tag.OCTET_STRING)) return "encrypted-pkcs8";
  if (startsWith(Tag.INTEGER, Tag.SEQUENCE)) return { 0: "pkcs8", 1: "pkcs8", 3: "pkcs12" }[version] || "unknown";
  if (startsWith(Tag.INTEGER, Tag.INTEGER) && version === 0) return "pkcs1";
  if (startsWith(Tag.INTEGER, Tag.OCTET_STRING) && version === 1) return "sec1";
  if (tags.length === 3 && startsWith(Tag.SEQUENCE, Tag.SEQUENCE, Tag.BIT_STRING)) {
    // Certificate and CertificationRequest are both SEQUENCE {tbs, algorithm, signature}; a CSR's tbs starts with
    // `version INTEGER 0` and a Name SEQUENCE, a certificate's with [0] version or a serial number.
    try {
      const first = readElement(children[0].content, 0);
      const second = first.end < children[0].content.length ? readElement(children[0].content, first.end) : null;
      const isCsr = first.tag === Tag.INTEGER && smallInteger(first) === 0 && second?.tag === Tag.SEQUENCE;
      return isCsr ? "csr" : "certificate";
    } catch {
      return "certificate";
    }
  }
  if (tags.length === 2 && startsWith(Tag.SEQUENCE, Tag.BIT_STRING)) return "public-key";
  return "unknown";
}

/** PKCS#8 around a PKCS#1 `RSAPrivateKey` or a SEC1 `ECPrivateKey` (whose curve must be named inside). */
function wrapInPrivateKeyInfo(der, shape) {
  if (shape === "pkcs1") {
    return sequence(unsignedInteger(0), sequence(objectIdentifier(OID.RSA_ENCRYPTION), nullValue()), octetString(der));
  }
  const parameters = childrenOf(readWhole(der)).find((child) => child.tag === 0xa0);
  if (!parameters) throw new WebCryptoError("not-a-key", "Klucz EC (SEC1) nie podaje krzywej; zapisz go jako PKCS#8.");
  const curve = readWhole(parameters.content);
  return sequence(unsignedInteger(0), sequence(objectIdentifier(OID.EC_PUBLIC_KEY), curve.encoded), octetString(der));
}

async function importChecked(privateKeyInfo, wrongPasswordIfBroken) {
  try {
    return await importPrivateKeyInfo(privateKeyInfo);
  } catch (error) {
    if (error instanceof WebCryptoError && error.code === "unsupported-key") throw error;
    if (wrongPasswordIfBroken) throw new WebCryptoError("wrong-password", WRONG_PASSWORD);
    throw new WebCryptoError("not-a-key", "Uszkodzony klucz prywatny (niepoprawna struktura DER).");
  }
}

async function loadEncrypted(der, password) {
  if (!password) throw new WebCryptoError("password-required", "Klucz prywatny jest zaszyfrowany — podaj hasło.");
  const plaintext = await decryptPrivateKeyInfo(der, password);
  try {
    // Valid padding by chance (about 1 in 256 wrong passwords) leaves garbage, not a PrivateKeyInfo.
    if (derShape(plaintext) !== "pkcs8") throw new WebCryptoError("wrong-password", WRONG_PASSWORD);
    return await importChecked(plaintext, true);
  } finally {
    plaintext.fill(0);
  }
}

async function loadDer(der, password) {
  const shape = derShape(der);
  if (shape === "encrypted-pkcs8") return loadEncrypted(der, password);
  if (shape === "pkcs8") return importChecked(der, false);
  if (shape === "pkcs1" || shape === "sec1") return importChecked(wrapInPrivateKeyInfo(der, shape), false);
  throw new WebCryptoError("not-a-key", NOT_A_KEY[shape] || UNKNOWN_FORMAT);
}

/** Larger files are refused before any parsing: key files are a few kilobytes. */
export const MAX_KEY_FILE_BYTES = 1 << 20;

/**
 * The signing key in a key file's bytes: `{privateKey, kind}` with a non-extractable `privateKey`.
 * `password` opens encrypted forms and is ignored otherwise. Throws WebCryptoError with code "password-required",
 * "wrong-password", "not-a-key", "unsupported-key" or "unsupported-key-encryption" and a Polish message.
 */
export async function loadPrivateKey(bytes, password = "") {
  if (bytes.length > MAX_KEY_FILE_BYTES) {
    throw new WebCryptoError("not-a-key", "Plik jest zbyt duży, by był plikiem klucza prywatnego.");
  }
  const text = new TextDecoder().decode(bytes);
  if (text.includes("-----BEGIN")) {
    let blocks;
    try {
      blocks = pemBlocks(text);
    } catch {
      throw new WebCryptoError("not-a-key", "Uszkodzony blok PEM (niepoprawne kodowanie Base64).");
    }
    for (const block of blocks) {
      if (block.label === "ENCRYPTED PRIVATE KEY") return loadEncrypted(block.der, password);
      if (["PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY"].includes(block.label)) {
        if ((block.headers["Proc-Type"] || "").includes("ENCRYPTED")) {
          throw new WebCryptoError("unsupported-key-encryption", LEGACY_ENCRYPTED_PEM);
        }
        return loadDer(block.der, password);
      }
    }
    const shape = blocks.map((block) => PEM_LABEL_SHAPES[block.label]).find(Boolean);
    throw new WebCryptoError("not-a-key", NOT_A_KEY[shape] || UNKNOWN_FORMAT);
  }
  if (derShape(bytes) !== "unknown") return loadDer(bytes, password);
  let der;
  try {
    der = fromBase64(text);
  } catch {
    throw new WebCryptoError("not-a-key", UNKNOWN_FORMAT);
  }
  return loadDer(der, password);
}

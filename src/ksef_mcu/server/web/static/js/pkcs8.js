/**
 * PKCS#8 `EncryptedPrivateKeyInfo` with PBES2 (RFC 8018), written exactly as MCU and our Python `crypto/pkcs8.py`
 * write `.key` files: PBKDF2-HMAC-SHA256, 100 000 iterations, a random 16-byte salt, AES-256-CBC with a random
 * 16-byte IV (the PRF with a NULL parameter, no keyLength field).
 *
 * Read: PBES2 with PBKDF2 (HMAC-SHA-1/256/384/512) and AES-128/256-CBC — what MCU, OpenSSL and the official
 * clients write. WebCrypto has no SHA-224 and Chromium no AES-192; those, PBES1 and 3DES get a clear refusal.
 */
import {
  childrenOf,
  expectTag,
  FormatError,
  nullValue,
  objectIdentifier,
  octetString,
  readObjectIdentifier,
  readSmallInteger,
  readWhole,
  sequence,
  Tag,
  unsignedInteger,
} from "./der.js";
import { WebCryptoError } from "./errors.js";

export const PBKDF2_ITERATIONS = 100000;
/** Iteration counts above this are refused when reading: a hostile file must not freeze the page for minutes. */
export const PBKDF2_MAX_ITERATIONS = 10000000;
export const SALT_LENGTH = 16;
export const AES_BLOCK_SIZE = 16;

const OID = {
  PBES2: "1.2.840.113549.1.5.13",
  PBKDF2: "1.2.840.113549.1.5.12",
  HMAC_SHA1: "1.2.840.113549.2.7",
  HMAC_SHA256: "1.2.840.113549.2.9",
  AES256_CBC: "2.16.840.1.101.3.4.1.42",
};
const PRFS = {
  "1.2.840.113549.2.7": ["hmacWithSHA1", "SHA-1"],
  "1.2.840.113549.2.9": ["hmacWithSHA256", "SHA-256"],
  "1.2.840.113549.2.10": ["hmacWithSHA384", "SHA-384"],
  "1.2.840.113549.2.11": ["hmacWithSHA512", "SHA-512"],
};
const CIPHERS = {
  "2.16.840.1.101.3.4.1.2": ["aes-128-cbc", 16],
  "2.16.840.1.101.3.4.1.42": ["aes-256-cbc", 32],
};
const KNOWN_BUT_UNSUPPORTED = {
  "1.2.840.113549.2.8": "hmacWithSHA224",
  "2.16.840.1.101.3.4.1.22": "aes-192-cbc",
  "1.2.840.113549.3.7": "des-ede3-cbc",
};
const SUPPORTED_SCHEMES =
  "PBES2 z PBKDF2 (HMAC-SHA-1, SHA-256, SHA-384, SHA-512) i AES-128-CBC lub AES-256-CBC";
const textEncoder = new TextEncoder();

function unsupportedScheme(what) {
  return new WebCryptoError(
    "unsupported-key-encryption",
    `Sposób zaszyfrowania pliku klucza (${what}) nie jest obsługiwany w przeglądarce; obsługujemy ${SUPPORTED_SCHEMES}. ` +
      "Zapisz klucz ponownie, np. poleceniem: openssl pkcs8 -topk8 -v2 aes-256-cbc -v2prf hmacWithSHA256 -iter 100000.",
  );
}

async function deriveAesKey(password, salt, iterations, hash, keyLength) {
  const material = await crypto.subtle.importKey("raw", textEncoder.encode(password), "PBKDF2", false, ["deriveKey"]);
  return crypto.subtle.deriveKey(
    { name: "PBKDF2", salt, iterations, hash },
    material,
    { name: "AES-CBC", length: keyLength * 8 },
    false,
    ["encrypt", "decrypt"],
  );
}

function randomBytes(length) {
  return crypto.getRandomValues(new Uint8Array(length));
}

/**
 * Encrypt a DER `PrivateKeyInfo` into a DER `EncryptedPrivateKeyInfo` (PBES2, PBKDF2-HMAC-SHA256, AES-256-CBC).
 * The password is the UTF-8 bytes of `password` (as OpenSSL and our Python code use it). `salt` and `iv` are random
 * unless given (tests pin them to compare with Python's output). Throws WebCryptoError "password-required" for "".
 */
export async function encryptPrivateKeyInfo(privateKeyInfo, password, options = {}) {
  if (!password) throw new WebCryptoError("password-required", "Hasło do klucza prywatnego nie może być puste.");
  const iterations = options.iterations ?? PBKDF2_ITERATIONS;
  const salt = options.salt ?? randomBytes(SALT_LENGTH);
  const iv = options.iv ?? randomBytes(AES_BLOCK_SIZE);
  if (iv.length !== AES_BLOCK_SIZE) throw new RangeError("the AES-CBC IV must be 16 bytes");
  const key = await deriveAesKey(password, salt, iterations, "SHA-256", 32);
  // WebCrypto's AES-CBC pads with PKCS#7, as PBES2 requires.
  const ciphertext = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-CBC", iv }, key, privateKeyInfo));
  const kdf = sequence(
    objectIdentifier(OID.PBKDF2),
    sequence(octetString(salt), unsignedInteger(iterations), sequence(objectIdentifier(OID.HMAC_SHA256), nullValue())),
  );
  const scheme = sequence(objectIdentifier(OID.AES256_CBC), octetString(iv));
  return sequence(sequence(objectIdentifier(OID.PBES2), sequence(kdf, scheme)), octetString(ciphertext));
}

function algorithmOf(element) {
  const [algorithm, ...parameters] = childrenOf(expectTag(element, Tag.SEQUENCE));
  return { oid: readObjectIdentifier(algorithm), parameters: parameters[0] };
}

function parsePbes2(der) {
  let outer;
  try {
    outer = childrenOf(expectTag(readWhole(der), Tag.SEQUENCE));
    if (outer.length !== 2) throw new FormatError("EncryptedPrivateKeyInfo has two fields");
    expectTag(outer[1], Tag.OCTET_STRING);
  } catch (error) {
    if (!(error instanceof FormatError)) throw error;
    throw new WebCryptoError("not-a-key", "Uszkodzony zaszyfrowany klucz prywatny (niepoprawna struktura PKCS#8).");
  }
  const scheme = algorithmOf(outer[0]);
  if (scheme.oid !== OID.PBES2) throw unsupportedScheme(`algorytm ${scheme.oid}, np. PBES1 lub PKCS#12`);
  const [kdfElement, cipherElement] = childrenOf(expectTag(scheme.parameters, Tag.SEQUENCE));
  const kdf = algorithmOf(kdfElement);
  const cipher = algorithmOf(cipherElement);
  if (kdf.oid !== OID.PBKDF2) throw unsupportedScheme(`funkcja wyprowadzania klucza ${kdf.oid}`);
  if (!CIPHERS[cipher.oid]) throw unsupportedScheme(KNOWN_BUT_UNSUPPORTED[cipher.oid] || `szyfr ${cipher.oid}`);
  const fields = childrenOf(expectTag(kdf.parameters, Tag.SEQUENCE));
  if (fields[0]?.tag !== Tag.OCTET_STRING) throw unsupportedScheme("sól PBKDF2 inna niż ciąg bajtów");
  const salt = fields[0].content;
  const iterations = readSmallInteger(fields[1]);
  let next = 2;
  let keyLength = null;
  if (fields[next]?.tag === Tag.INTEGER) keyLength = readSmallInteger(fields[next++]);
  const prfOid = fields[next] ? algorithmOf(fields[next++]).oid : OID.HMAC_SHA1; // DEFAULT hmacWithSHA1
  if (next !== fields.length) throw new FormatError("unexpected PBKDF2 parameter");
  if (!PRFS[prfOid]) throw unsupportedScheme(KNOWN_BUT_UNSUPPORTED[prfOid] || `funkcja PRF ${prfOid}`);
  const iv = expectTag(cipher.parameters, Tag.OCTET_STRING).content;
  const [cipherName, cipherKeyLength] = CIPHERS[cipher.oid];
  const [prf, hash] = PRFS[prfOid];
  return { prf, hash, iterations, salt, cipher: cipherName, keyLength: cipherKeyLength, declaredKeyLength: keyLength,
    iv, ciphertext: outer[1].content };
}

/**
 * What a DER `EncryptedPrivateKeyInfo` says about its encryption: `{prf, hash, iterations, salt, cipher, keyLength,
 * iv, ciphertext}`. Throws WebCryptoError ("not-a-key", "unsupported-key-encryption").
 */
export function readPbes2Parameters(der) {
  let parameters;
  try {
    parameters = parsePbes2(der);
  } catch (error) {
    if (!(error instanceof FormatError)) throw error;
    throw new WebCryptoError("not-a-key", "Uszkodzone parametry szyfrowania klucza prywatnego (PBES2).");
  }
  if (parameters.declaredKeyLength !== null && parameters.declaredKeyLength !== parameters.keyLength) {
    throw new WebCryptoError(
      "unsupported-key-encryption",
      "Niespójne parametry szyfrowania klucza (długość klucza PBKDF2).",
    );
  }
  if (parameters.iterations > PBKDF2_MAX_ITERATIONS) {
    throw new WebCryptoError(
      "unsupported-key-encryption",
      `Plik klucza żąda ${parameters.iterations} iteracji PBKDF2 (dopuszczamy najwyżej ${PBKDF2_MAX_ITERATIONS}).`,
    );
  }
  if (parameters.iterations < 1) {
    throw new WebCryptoError("not-a-key", "Uszkodzone parametry szyfrowania klucza prywatnego (PBES2).");
  }
  if (parameters.iv.length !== AES_BLOCK_SIZE) {
    throw new WebCryptoError("not-a-key", "Uszkodzone parametry szyfrowania klucza prywatnego (wektor IV).");
  }
  return parameters;
}

/**
 * Decrypt a DER PBES2 `EncryptedPrivateKeyInfo` into the DER `PrivateKeyInfo` it holds. Throws WebCryptoError:
 * "wrong-password" (bad padding), "not-a-key", "unsupported-key-encryption". The caller also treats a plaintext
 * that is not a PrivateKeyInfo as a wrong password (a wrong password yields valid padding about once in 256 tries).
 */
export async function decryptPrivateKeyInfo(der, password) {
  const parameters = readPbes2Parameters(der);
  const { ciphertext } = parameters;
  if (!ciphertext.length || ciphertext.length % AES_BLOCK_SIZE) {
    throw new WebCryptoError("not-a-key", "Uszkodzony zaszyfrowany klucz prywatny (długość szyfrogramu).");
  }
  const key = await deriveAesKey(
    password,
    parameters.salt,
    parameters.iterations,
    parameters.hash,
    parameters.keyLength,
  );
  try {
    return new Uint8Array(await crypto.subtle.decrypt({ name: "AES-CBC", iv: parameters.iv }, key, ciphertext));
  } catch {
    throw new WebCryptoError("wrong-password", "Nieprawidłowe hasło do klucza prywatnego.");
  }
}

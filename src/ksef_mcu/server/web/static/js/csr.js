/**
 * PKCS#10 certificate requests from the enrollment data the server returns (`GET /v2/certificates/enrollments/data`),
 * byte for byte as our Python `crypto/csr.py` builds them, so the server's subject check (25003) always passes.
 *
 * Subject: one single-valued RDN per present field, in the official C# client's order — commonName, surname,
 * givenName, organizationName, organizationIdentifier, countryName, serialNumber, uniqueIdentifier; countryName and
 * serialNumber as PrintableString when they fit it (else UTF8String), everything else UTF8String. Signature:
 * ecdsa-with-SHA256 (DER {r, s}) for EC P-256, sha256WithRSAEncryption (PKCS#1 v1.5) for RSA 2048. No attributes.
 */
import {
  bitString,
  contextSpecific,
  isPrintableString,
  nullValue,
  objectIdentifier,
  printableString,
  sequence,
  setOf,
  unsignedInteger,
  utf8String,
} from "./der.js";
import { WebCryptoError } from "./errors.js";
import { ecdsaSignatureToDer, KeyKind, keyKindOf, OID, sign } from "./keys.js";
import { toBase64 } from "./pem.js";

/** The API's field names, in the order of the subject, with their attribute OIDs. */
const ATTRIBUTES = [
  ["commonName", "2.5.4.3"],
  ["surname", "2.5.4.4"],
  ["givenName", "2.5.4.42"],
  ["organizationName", "2.5.4.10"],
  ["organizationIdentifier", "2.5.4.97"],
  ["countryName", "2.5.4.6"],
  ["serialNumber", "2.5.4.5"],
  ["uniqueIdentifier", "2.5.4.45"],
];
const PRINTABLE_FIELDS = new Set(["countryName", "serialNumber"]);
const textEncoder = new TextEncoder();

function dataError(message) {
  return new WebCryptoError("enrollment-data", message);
}

function pythonRepr(value) {
  return value.includes("'") && !value.includes('"') ? `"${value}"` : `'${value}'`;
}

/**
 * The enrollment data as `{commonName, countryName, givenName, ...}` with absent fields as null, read like Python's
 * `EnrollmentData.from_api`: null and "" mean absent, unknown keys are ignored, `givenName` may be a one-element
 * list (or come as `givenNames`). Throws WebCryptoError "enrollment-data" with a Polish message.
 */
export function enrollmentDataFromApi(payload) {
  if (payload === null || typeof payload !== "object" || Array.isArray(payload)) {
    throw dataError("Dane do wniosku muszą być obiektem JSON.");
  }
  const data = {};
  for (const [key] of ATTRIBUTES) {
    let value = payload[key] ?? null;
    if (key === "givenName" && value === null) value = payload.givenNames ?? null;
    if (Array.isArray(value)) {
      if (value.length > 1) throw dataError(`Pole „${key}” zawiera kilka wartości; obsługujemy jedno imię.`);
      value = value.length ? value[0] ?? null : null;
    }
    if (value !== null && typeof value !== "string") throw dataError(`Pole „${key}” musi być tekstem.`);
    data[key] = value || null;
  }
  const missing = ["commonName", "countryName"].filter((key) => !data[key]);
  if (missing.length) throw dataError(`Brak wymaganych pól w danych do wniosku: ${missing.join(", ")}.`);
  return data;
}

/** The DER subject Name for enrollment data (as returned by `enrollmentDataFromApi`). */
export function encodeSubjectName(data) {
  const rdns = [];
  for (const [key, oid] of ATTRIBUTES) {
    const value = data[key];
    if (!value) continue;
    const broken =
      !value.isWellFormed() || (key === "countryName" && textEncoder.encode(value).length !== 2);
    if (broken) throw dataError(`Nieprawidłowa wartość atrybutu ${key}: ${pythonRepr(value)}.`);
    const string = PRINTABLE_FIELDS.has(key) && isPrintableString(value) ? printableString(value) : utf8String(value);
    rdns.push(setOf(sequence(objectIdentifier(oid), string)));
  }
  return sequence(...rdns);
}

/**
 * A signed PKCS#10 request for `enrollmentData` (the API's JSON object) and a key pair from keys.js:
 * `{der, base64}` — `base64` is what the API's `csr` field takes (one line, no PEM armour).
 * `subjectPublicKeyInfo` may be passed when the caller already exported it.
 */
export async function createCsr(keyPair, enrollmentData, subjectPublicKeyInfo = null) {
  const subject = encodeSubjectName(enrollmentDataFromApi(enrollmentData));
  const spki = subjectPublicKeyInfo ?? new Uint8Array(await crypto.subtle.exportKey("spki", keyPair.publicKey));
  const info = sequence(unsignedInteger(0), subject, spki, contextSpecific(0, new Uint8Array(0)));
  const kind = keyKindOf(keyPair.privateKey);
  const signature = await sign(keyPair.privateKey, info);
  const [algorithm, value] =
    kind === KeyKind.EC_P256
      ? [sequence(objectIdentifier(OID.ECDSA_WITH_SHA256)), ecdsaSignatureToDer(signature)]
      : [sequence(objectIdentifier(OID.SHA256_WITH_RSA), nullValue()), signature];
  const der = sequence(info, algorithm, bitString(value));
  return { der, base64: toBase64(der) };
}

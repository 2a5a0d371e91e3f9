/**
 * Key pairs for KSeF certificates with WebCrypto: EC P-256 (the default, as MCU) or RSA 2048 — the only two kinds KSeF
 * accepts — plus signing, and importing keys from PKCS#8 / SubjectPublicKeyInfo with the kind checked.
 *
 * ECDSA signatures come out of WebCrypto as raw r||s (what XML-DSig wants); `ecdsaSignatureToDer` makes the DER
 * SEQUENCE {r, s} that X.509 and PKCS#10 want.
 */
import { childrenOf, expectTag, readObjectIdentifier, readWhole, sequence, Tag, unsignedInteger } from "./der.js";
import { WebCryptoError } from "./errors.js";
import { toHex } from "./pem.js";

/** The two key kinds KSeF accepts. */
export const KeyKind = Object.freeze({ EC_P256: "ec-p256", RSA_2048: "rsa-2048" });

export const OID = Object.freeze({
  EC_PUBLIC_KEY: "1.2.840.10045.2.1",
  PRIME256V1: "1.2.840.10045.3.1.7",
  RSA_ENCRYPTION: "1.2.840.113549.1.1.1",
  ECDSA_WITH_SHA256: "1.2.840.10045.4.3.2",
  SHA256_WITH_RSA: "1.2.840.113549.1.1.11",
});

const CURVE_NAMES = {
  "1.2.840.10045.3.1.7": "secp256r1",
  "1.3.132.0.34": "secp384r1",
  "1.3.132.0.35": "secp521r1",
  "1.3.132.0.33": "secp224r1",
  "1.2.840.10045.3.1.1": "secp192r1",
  "1.3.132.0.10": "secp256k1",
};
const RSA_BITS = 2048;
const EC_IMPORT = { name: "ECDSA", namedCurve: "P-256" };
const RSA_IMPORT = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
const SIGN_PARAMETERS = {
  [KeyKind.EC_P256]: { name: "ECDSA", hash: "SHA-256" },
  [KeyKind.RSA_2048]: { name: "RSASSA-PKCS1-v1_5" },
};

function unsupported(description) {
  return new WebCryptoError(
    "unsupported-key",
    `Nieobsługiwany klucz: ${description}. KSeF przyjmuje tylko klucze EC P-256 albo RSA 2048.`,
  );
}

/** A new extractable key pair of `kind` (EC P-256 by default). */
export async function generateKeyPair(kind = KeyKind.EC_P256) {
  if (kind === KeyKind.EC_P256) return crypto.subtle.generateKey(EC_IMPORT, true, ["sign", "verify"]);
  if (kind === KeyKind.RSA_2048) {
    const algorithm = { ...RSA_IMPORT, modulusLength: RSA_BITS, publicExponent: Uint8Array.of(1, 0, 1) };
    return crypto.subtle.generateKey(algorithm, true, ["sign", "verify"]);
  }
  throw new RangeError(`unknown key kind ${kind}`);
}

/** The KeyKind of a WebCrypto key made or imported by this module. */
export function keyKindOf(key) {
  if (key.algorithm.name === "ECDSA" && key.algorithm.namedCurve === "P-256") return KeyKind.EC_P256;
  if (key.algorithm.name === "RSASSA-PKCS1-v1_5" && key.algorithm.modulusLength === RSA_BITS) return KeyKind.RSA_2048;
  throw unsupported(key.algorithm.name);
}

/** Signature over `data` with SHA-256: raw r||s (64 bytes) for EC P-256, PKCS#1 v1.5 for RSA. */
export async function sign(privateKey, data) {
  return new Uint8Array(await crypto.subtle.sign(SIGN_PARAMETERS[keyKindOf(privateKey)], privateKey, data));
}

/** Whether `signature` (raw r||s for EC) over `data` verifies with `publicKey` (SHA-256). */
export async function verify(publicKey, signature, data) {
  return crypto.subtle.verify(SIGN_PARAMETERS[keyKindOf(publicKey)], publicKey, signature, data);
}

/** DER `SEQUENCE {r INTEGER, s INTEGER}` from a raw r||s ECDSA signature. */
export function ecdsaSignatureToDer(raw) {
  const half = raw.length / 2;
  return sequence(unsignedInteger(raw.subarray(0, half)), unsignedInteger(raw.subarray(half)));
}

/** The kind named by an AlgorithmIdentifier element (RSA size is checked after import). */
function kindOfAlgorithm(algorithmIdentifier) {
  const [algorithm, parameters] = childrenOf(expectTag(algorithmIdentifier, Tag.SEQUENCE));
  const oid = readObjectIdentifier(algorithm);
  if (oid === OID.RSA_ENCRYPTION) return KeyKind.RSA_2048;
  if (oid === OID.EC_PUBLIC_KEY) {
    const curve = parameters && parameters.tag === Tag.OID ? readObjectIdentifier(parameters) : "?";
    if (curve === OID.PRIME256V1) return KeyKind.EC_P256;
    throw unsupported(`EC na krzywej ${CURVE_NAMES[curve] || curve}`);
  }
  throw unsupported(`algorytm ${oid}`);
}

async function imported(kind, format, der, extractable, usages) {
  const key = await crypto.subtle.importKey(
    format,
    der,
    kind === KeyKind.EC_P256 ? EC_IMPORT : RSA_IMPORT,
    extractable,
    usages,
  );
  if (kind === KeyKind.RSA_2048 && key.algorithm.modulusLength !== RSA_BITS) {
    throw unsupported(`RSA ${key.algorithm.modulusLength} bitów`);
  }
  return key;
}

/**
 * A signing key from DER PKCS#8 `PrivateKeyInfo`: `{privateKey, kind}`. Throws WebCryptoError "unsupported-key" for
 * keys KSeF does not accept, and lets FormatError / WebCrypto's DataError through for broken structures.
 */
export async function importPrivateKeyInfo(der, { extractable = false } = {}) {
  const [, algorithmIdentifier] = childrenOf(expectTag(readWhole(der), Tag.SEQUENCE));
  const kind = kindOfAlgorithm(algorithmIdentifier);
  return { privateKey: await imported(kind, "pkcs8", der, extractable, ["sign"]), kind };
}

/** A verifying key from DER SubjectPublicKeyInfo: `{publicKey, kind}`. Throws like `importPrivateKeyInfo`. */
export async function importPublicKeyInfo(der) {
  const [algorithmIdentifier] = childrenOf(expectTag(readWhole(der), Tag.SEQUENCE));
  const kind = kindOfAlgorithm(algorithmIdentifier);
  return { publicKey: await imported(kind, "spki", der, true, ["verify"]), kind };
}

/** SHA-256 of a DER SubjectPublicKeyInfo as 64 upper-case hex digits (Python's `public_key_sha256_fingerprint`). */
export async function publicKeySha256(spkiDer) {
  return toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", spkiDer)));
}

/**
 * "Generuj": make the key pair in the browser, encrypt the private key into an MCU-style `.key` file and build the
 * signed certificate request — all with WebCrypto, nothing sent anywhere. The caller offers the `.key` file for
 * download and sends only the CSR (which holds the public key) to the server.
 */
import { createCsr, enrollmentDataFromApi } from "./csr.js";
import { WebCryptoError } from "./errors.js";
import { generateKeyPair, KeyKind, publicKeySha256 } from "./keys.js";
import { pemEncode } from "./pem.js";
import { encryptPrivateKeyInfo } from "./pkcs8.js";
import { passwordRuleFailures } from "./rules.js";

/**
 * Generate a key of `kind` (EC P-256 by default, or RSA 2048), and return `{keyFile, csr, kind, publicKeySha256}`:
 * `keyFile` is the PEM `ENCRYPTED PRIVATE KEY` text (PBES2, PBKDF2-HMAC-SHA256, 100 000 iterations, AES-256-CBC),
 * `csr` the Base64 DER request for the API, `publicKeySha256` the SHA-256 of the public key (64 hex digits) to match
 * the issued certificate against later. Throws WebCryptoError "password-rule" (with every broken rule in
 * `details`) or "enrollment-data" before any key is made.
 */
export async function generateKeyAndCsr({ kind = KeyKind.EC_P256, password, enrollmentData }) {
  const failures = passwordRuleFailures(password);
  if (failures.length) {
    throw new WebCryptoError("password-rule", `Hasło nie spełnia wymagań: ${failures.join(" ")}`, failures);
  }
  enrollmentDataFromApi(enrollmentData);
  const keyPair = await generateKeyPair(kind);
  const [privateKeyInfo, spki] = await Promise.all([
    crypto.subtle.exportKey("pkcs8", keyPair.privateKey).then((buffer) => new Uint8Array(buffer)),
    crypto.subtle.exportKey("spki", keyPair.publicKey).then((buffer) => new Uint8Array(buffer)),
  ]);
  try {
    const [encrypted, csr, fingerprint] = await Promise.all([
      encryptPrivateKeyInfo(privateKeyInfo, password),
      createCsr(keyPair, enrollmentData, spki),
      publicKeySha256(spki),
    ]);
    return { keyFile: pemEncode("ENCRYPTED PRIVATE KEY", encrypted), csr: csr.base64, kind, publicKeySha256: fingerprint };
  } finally {
    privateKeyInfo.fill(0); // the only plaintext copy this code holds; the CryptoKey itself is dropped with keyPair
  }
}

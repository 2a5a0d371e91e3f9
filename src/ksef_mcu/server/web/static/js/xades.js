/**
 * The browser's half of a two-step XAdES login with a KSeF certificate (server: `crypto/xades/two_step.py`).
 *
 * The server prepares the AuthTokenRequest and its canonical SignedInfo bytes for the chosen certificate and says
 * which SignatureMethod they need; the browser signs exactly those bytes with the private key it decrypted itself
 * and returns only the SignatureValue; the server assembles the XAdES signature and verifies it as usual.
 */
import { certificatePublicKey, readCertificate } from "./certificate.js";
import { WebCryptoError } from "./errors.js";
import { KeyKind, sign, verify } from "./keys.js";
import { loadPrivateKey } from "./keyfile.js";

/** XML-DSig SignatureMethod URIs for the two key kinds (ECDSA values are raw r||s, as WebCrypto makes them). */
export const SignatureMethod = Object.freeze({
  [KeyKind.EC_P256]: "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
  [KeyKind.RSA_2048]: "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
});

const KEY_MISMATCH = "Klucz prywatny nie pasuje do certyfikatu.";

/**
 * Open the certificate and key files the user picked and check that the key belongs to the certificate (by a test
 * signature the certificate's public key must verify). Returns `{certificate, privateKey, kind}`; `certificate.base64`
 * is what the server needs to prepare the signature. Throws WebCryptoError (see keyfile.js, certificate.js, and
 * "key-mismatch").
 */
export async function openSigningCredentials(certificateBytes, keyBytes, password) {
  const certificate = readCertificate(certificateBytes);
  const [{ publicKey, kind: certificateKind }, { privateKey, kind }] = await Promise.all([
    certificatePublicKey(certificate),
    loadPrivateKey(keyBytes, password),
  ]);
  const probe = crypto.getRandomValues(new Uint8Array(32));
  if (kind !== certificateKind || !(await verify(publicKey, await sign(privateKey, probe), probe))) {
    throw new WebCryptoError("key-mismatch", KEY_MISMATCH);
  }
  return { certificate, privateKey, kind };
}

/**
 * The SignatureValue over `signedInfo` (the server's canonical SignedInfo bytes) for `signatureMethod` (URI).
 * Throws WebCryptoError "key-mismatch" when the method is not the one the key makes (the server chose it from the
 * certificate, so the key is not the certificate's).
 */
export async function signSignedInfo(credentials, signedInfo, signatureMethod) {
  if (SignatureMethod[credentials.kind] !== signatureMethod) throw new WebCryptoError("key-mismatch", KEY_MISMATCH);
  return sign(credentials.privateKey, signedInfo);
}

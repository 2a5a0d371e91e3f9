/**
 * Read the certificate a user picks (`.crt`: PEM or DER, or Base64 DER): its DER bytes for the server and its public
 * key for checking, in the browser, that the chosen private key belongs to it.
 */
import { childrenOf, expectTag, FormatError, readWhole, Tag } from "./der.js";
import { WebCryptoError } from "./errors.js";
import { importPublicKeyInfo } from "./keys.js";
import { fromBase64, pemBlocks, toBase64 } from "./pem.js";

const NOT_A_CERTIFICATE = "Plik nie zawiera certyfikatu X.509 (oczekiwano pliku .crt w formacie PEM lub DER).";

function certificateDer(bytes) {
  const text = new TextDecoder().decode(bytes);
  if (text.includes("-----BEGIN")) {
    const blocks = pemBlocks(text);
    const block = blocks.find((candidate) => candidate.label === "CERTIFICATE");
    if (block) return block.der;
    if (blocks.some((candidate) => candidate.label.includes("PRIVATE KEY"))) {
      throw new WebCryptoError("not-a-certificate", "Plik zawiera klucz prywatny, a nie certyfikat.");
    }
    throw new WebCryptoError("not-a-certificate", NOT_A_CERTIFICATE);
  }
  return bytes[0] === Tag.SEQUENCE ? bytes : fromBase64(text);
}

/**
 * `{der, base64, subjectPublicKeyInfo}` of the certificate in `bytes`. Throws WebCryptoError "not-a-certificate".
 */
export function readCertificate(bytes) {
  try {
    const der = certificateDer(bytes);
    const [tbs] = childrenOf(expectTag(readWhole(der), Tag.SEQUENCE));
    const fields = childrenOf(expectTag(tbs, Tag.SEQUENCE));
    // TBSCertificate: [0] version (absent in v1), serialNumber, signature, issuer, validity, subject, spki, ...
    const spki = fields[fields[0].tag === 0xa0 ? 6 : 5];
    return { der, base64: toBase64(der), subjectPublicKeyInfo: expectTag(spki, Tag.SEQUENCE).encoded };
  } catch (error) {
    if (error instanceof WebCryptoError) throw error;
    if (error instanceof FormatError || error instanceof TypeError) {
      throw new WebCryptoError("not-a-certificate", NOT_A_CERTIFICATE);
    }
    throw error;
  }
}

/** The certificate's public key for verifying: `{publicKey, kind}`; throws WebCryptoError "unsupported-key". */
export async function certificatePublicKey(certificate) {
  return importPublicKeyInfo(certificate.subjectPublicKeyInfo);
}

"""XML-DSig / XAdES identifiers: namespaces and the algorithm URIs KSeF accepts (`auth/podpis-xades.md`).

Enums are keyed by the URI, so an unknown URI fails to convert (fail closed).
"""

from __future__ import annotations

import enum
from typing import Final

from cryptography.hazmat.primitives import hashes

__all__ = [
    "DSIG11_NS",
    "DSIG_NS",
    "EXC_C14N_NS",
    "SIGNED_PROPERTIES_TYPE",
    "XADES_NS",
    "XPATH_FILTER2_NS",
    "Canonicalization",
    "DigestMethod",
    "KeyFamily",
    "SignatureMethod",
    "Transform",
]

DSIG_NS: Final = "http://www.w3.org/2000/09/xmldsig#"
DSIG11_NS: Final = "http://www.w3.org/2009/xmldsig11#"
XADES_NS: Final = "http://uri.etsi.org/01903/v1.3.2#"
XPATH_FILTER2_NS: Final = "http://www.w3.org/2002/06/xmldsig-filter2"
EXC_C14N_NS: Final = "http://www.w3.org/2001/10/xml-exc-c14n#"
SIGNED_PROPERTIES_TYPE: Final = "http://uri.etsi.org/01903#SignedProperties"


class Canonicalization(enum.StrEnum):
    """Canonicalization methods (for SignedInfo and as reference transforms)."""

    C14N_1_0 = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
    C14N_1_0_WITH_COMMENTS = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments"
    C14N_1_1 = "http://www.w3.org/2006/12/xml-c14n11"
    C14N_1_1_WITH_COMMENTS = "http://www.w3.org/2006/12/xml-c14n11#WithComments"
    EXCLUSIVE = "http://www.w3.org/2001/10/xml-exc-c14n#"
    EXCLUSIVE_WITH_COMMENTS = "http://www.w3.org/2001/10/xml-exc-c14n#WithComments"

    @property
    def exclusive(self) -> bool:
        """Exclusive C14N (only visibly used namespaces) rather than inclusive C14N 1.0/1.1."""
        return self in (Canonicalization.EXCLUSIVE, Canonicalization.EXCLUSIVE_WITH_COMMENTS)

    @property
    def with_comments(self) -> bool:
        """Whether comments are kept (only for SignedInfo: same-document references always drop comments)."""
        return self.value.endswith("WithComments")


class Transform(enum.StrEnum):
    """Transforms other than canonicalization that may remove the signature from the signed document."""

    ENVELOPED_SIGNATURE = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
    XPATH = "http://www.w3.org/TR/1999/REC-xpath-19991116"
    XPATH_FILTER2 = "http://www.w3.org/2002/06/xmldsig-filter2"
    BASE64 = "http://www.w3.org/2000/09/xmldsig#base64"


class DigestMethod(enum.StrEnum):
    """Digest methods for references and for SigningCertificate/CertDigest."""

    SHA1 = "http://www.w3.org/2000/09/xmldsig#sha1"
    SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
    SHA384 = "http://www.w3.org/2001/04/xmldsig-more#sha384"
    SHA512 = "http://www.w3.org/2001/04/xmlenc#sha512"
    SHA3_256 = "http://www.w3.org/2007/05/xmldsig-more#sha3-256"
    SHA3_384 = "http://www.w3.org/2007/05/xmldsig-more#sha3-384"
    SHA3_512 = "http://www.w3.org/2007/05/xmldsig-more#sha3-512"

    @property
    def hashlib_name(self) -> str:
        """The `hashlib` name of the digest (`sha256`, `sha3_384`, ...)."""
        return _HASHLIB_NAMES[self]


_HASHLIB_NAMES = {
    DigestMethod.SHA1: "sha1",
    DigestMethod.SHA256: "sha256",
    DigestMethod.SHA384: "sha384",
    DigestMethod.SHA512: "sha512",
    DigestMethod.SHA3_256: "sha3_256",
    DigestMethod.SHA3_384: "sha3_384",
    DigestMethod.SHA3_512: "sha3_512",
}


class KeyFamily(enum.Enum):
    """The kind of signature a SignatureMethod makes."""

    RSA_PKCS1V15 = "RSASSA-PKCS1-v1_5"
    RSA_PSS = "RSASSA-PSS"
    ECDSA = "ECDSA"


class SignatureMethod(enum.StrEnum):
    """Signature methods for SignedInfo. RSA-PSS uses MGF1 with the same hash and a salt as long as the hash."""

    RSA_SHA1 = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
    RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
    RSA_SHA384 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384"
    RSA_SHA512 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512"
    RSA_PSS_SHA1 = "http://www.w3.org/2007/05/xmldsig-more#sha1-rsa-MGF1"
    RSA_PSS_SHA256 = "http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1"
    RSA_PSS_SHA384 = "http://www.w3.org/2007/05/xmldsig-more#sha384-rsa-MGF1"
    RSA_PSS_SHA512 = "http://www.w3.org/2007/05/xmldsig-more#sha512-rsa-MGF1"
    RSA_PSS_SHA3_256 = "http://www.w3.org/2007/05/xmldsig-more#sha3-256-rsa-MGF1"
    RSA_PSS_SHA3_384 = "http://www.w3.org/2007/05/xmldsig-more#sha3-384-rsa-MGF1"
    RSA_PSS_SHA3_512 = "http://www.w3.org/2007/05/xmldsig-more#sha3-512-rsa-MGF1"
    ECDSA_SHA1 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha1"
    ECDSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
    ECDSA_SHA384 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384"
    ECDSA_SHA512 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512"
    ECDSA_SHA3_256 = "http://www.w3.org/2021/04/xmldsig-more#ecdsa-sha3-256"
    ECDSA_SHA3_384 = "http://www.w3.org/2021/04/xmldsig-more#ecdsa-sha3-384"
    ECDSA_SHA3_512 = "http://www.w3.org/2021/04/xmldsig-more#ecdsa-sha3-512"

    @property
    def family(self) -> KeyFamily:
        """RSASSA-PKCS1-v1_5, RSASSA-PSS or ECDSA."""
        return _SIGNATURE_METHODS[self][0]

    def hash_algorithm(self) -> hashes.HashAlgorithm:
        """A fresh `cryptography` hash object for this method."""
        return _SIGNATURE_METHODS[self][1]()


_SIGNATURE_METHODS: dict[SignatureMethod, tuple[KeyFamily, type[hashes.HashAlgorithm]]] = {
    SignatureMethod.RSA_SHA1: (KeyFamily.RSA_PKCS1V15, hashes.SHA1),
    SignatureMethod.RSA_SHA256: (KeyFamily.RSA_PKCS1V15, hashes.SHA256),
    SignatureMethod.RSA_SHA384: (KeyFamily.RSA_PKCS1V15, hashes.SHA384),
    SignatureMethod.RSA_SHA512: (KeyFamily.RSA_PKCS1V15, hashes.SHA512),
    SignatureMethod.RSA_PSS_SHA1: (KeyFamily.RSA_PSS, hashes.SHA1),
    SignatureMethod.RSA_PSS_SHA256: (KeyFamily.RSA_PSS, hashes.SHA256),
    SignatureMethod.RSA_PSS_SHA384: (KeyFamily.RSA_PSS, hashes.SHA384),
    SignatureMethod.RSA_PSS_SHA512: (KeyFamily.RSA_PSS, hashes.SHA512),
    SignatureMethod.RSA_PSS_SHA3_256: (KeyFamily.RSA_PSS, hashes.SHA3_256),
    SignatureMethod.RSA_PSS_SHA3_384: (KeyFamily.RSA_PSS, hashes.SHA3_384),
    SignatureMethod.RSA_PSS_SHA3_512: (KeyFamily.RSA_PSS, hashes.SHA3_512),
    SignatureMethod.ECDSA_SHA1: (KeyFamily.ECDSA, hashes.SHA1),
    SignatureMethod.ECDSA_SHA256: (KeyFamily.ECDSA, hashes.SHA256),
    SignatureMethod.ECDSA_SHA384: (KeyFamily.ECDSA, hashes.SHA384),
    SignatureMethod.ECDSA_SHA512: (KeyFamily.ECDSA, hashes.SHA512),
    SignatureMethod.ECDSA_SHA3_256: (KeyFamily.ECDSA, hashes.SHA3_256),
    SignatureMethod.ECDSA_SHA3_384: (KeyFamily.ECDSA, hashes.SHA3_384),
    SignatureMethod.ECDSA_SHA3_512: (KeyFamily.ECDSA, hashes.SHA3_512),
}

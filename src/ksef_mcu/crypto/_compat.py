"""Tolerance for the one encoding quirk every KSeF CA certificate has.

The Ministry's CAs ("TEST CCK KSeF", "TI CCK KSeF", ...) sign with ECDSA and put an explicit ASN.1 NULL into the
signature AlgorithmIdentifier, which RFC 5758 forbids. `cryptography` 48 still parses such certificates but warns
(`CryptographyDeprecationWarning`); 49 and later refuse them, which is why the project pins `cryptography<49`.
Re-encoding the certificate without the NULL is not an option: it would change the certificate's bytes, its
SHA-256 fingerprint and the CA signature over the TBS part, and KSeF identifies and verifies the original bytes.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator

from cryptography.utils import CryptographyDeprecationWarning

_NULL_PARAMETERS_WARNING = r".*NULL parameter value in its signature algorithm parameters.*"


@contextlib.contextmanager
def tolerate_null_signature_parameters() -> Iterator[None]:
    """Silence exactly the NULL-signature-parameters deprecation warning while parsing certificates."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_NULL_PARAMETERS_WARNING, category=CryptographyDeprecationWarning)
        yield

"""Tolerance for two things real KSeF certificates do that `cryptography` 48 warns about.

1. The Ministry's CAs ("TEST CCK KSeF", "TI CCK KSeF", ...) sign with ECDSA and put an explicit ASN.1 NULL into the
   signature AlgorithmIdentifier, which RFC 5758 forbids. `cryptography` 48 parses such certificates with a
   `CryptographyDeprecationWarning`; 49 and later refuse them, which is why the project pins `cryptography<49`.
   Re-encoding without the NULL is not an option: it would change the certificate's bytes, its SHA-256
   fingerprint and the CA signature over the TBS part, and KSeF identifies and verifies the original bytes.
2. X.520 bounds commonName at 64 *characters*; `cryptography` counts UTF-8 *bytes* and warns (`UserWarning`)
   whenever it parses a longer value — e.g. a 40-letter Polish company name plus KSeF's " (uwierzytelnienie)".

`tolerate_ksef_quirks()` silences exactly these two warnings around parsing. Code that reads `.subject`/`.issuer`
of certificates or CSRs that may come from KSeF should do it inside this context (pytest runs with warnings as
errors); cryptography keeps a parsed name, so reading it once inside the block is enough. Nothing is changed
process-wide: importing the library leaves the warning filters as they were.

Python 3.11's `warnings.catch_warnings` saves and restores the single process-wide filter list, so two threads in
overlapping blocks would undo each other's filters (one thread's warnings would escape, or the filters would stay
changed after both left). The blocks are therefore serialised by one re-entrant lock: keep them short — parsing,
not I/O.
"""

from __future__ import annotations

import contextlib
import threading
import warnings
from collections.abc import Iterator

from cryptography.utils import CryptographyDeprecationWarning

__all__ = ["tolerate_ksef_quirks"]

_NULL_PARAMETERS_WARNING = r".*NULL parameter value in its signature algorithm parameters.*"
_LONG_VALUE_WARNING = r"Attribute's length must be"
# Re-entrant: the parsers nest (loading a certificate inside a block that reads its names).
_FILTERS_LOCK = threading.RLock()


@contextlib.contextmanager
def tolerate_ksef_quirks() -> Iterator[None]:
    """Silence the NULL-signature-parameters and long-attribute-value warnings while parsing (thread-safe)."""
    with _FILTERS_LOCK, warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_NULL_PARAMETERS_WARNING, category=CryptographyDeprecationWarning)
        warnings.filterwarnings("ignore", message=_LONG_VALUE_WARNING, category=UserWarning)
        yield

"""Pure cryptographic functions for KSeF: bytes and `now` in, objects out; no I/O, no logging of key material."""

from ksef_mcu.crypto.compat import ignore_long_value_warnings_globally

ignore_long_value_warnings_globally()

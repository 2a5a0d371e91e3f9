"""Pure cryptographic functions for KSeF: bytes and `now` in, objects out; no I/O, no logging of key material.

Importing it changes no process-wide state (warning filters included): see `compat.tolerate_ksef_quirks`.
"""

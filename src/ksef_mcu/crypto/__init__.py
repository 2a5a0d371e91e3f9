"""Pure cryptographic functions for KSeF: bytes and `now` in, objects out; no I/O, no logging of key material."""

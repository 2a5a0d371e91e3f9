"""`/v2/security/*`: the server's public-key certificates, which KSeF clients encrypt symmetric keys and KSeF tokens
with (the keys themselves live in `server/keys.py`)."""

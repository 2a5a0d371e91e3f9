"""The certificates module: KSeF certificates issued by this server (query, retrieve, revoke, login, CA, CRL)."""

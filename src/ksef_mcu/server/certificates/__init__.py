"""Certificates: KSeF certificates issued by this server, with its CA.

routes.py / schemas.py (HTTP) → registration.py (the registration authority: enrollment requests and limits) and
service.py (the registry: query, retrieve, revoke, CRL, login with our certificates) → policy.py (pure rules) →
worker.py (the issuance cycle) → issuer.py (the CA core, the only holder of the CA key; ca.py keeps the CA keys on
disk) → repositories/ (the only SQL) → tables.py.
"""

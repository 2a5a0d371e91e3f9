"""Authentication: challenges, XAdES login, tokens, authentication sessions.

routes.py / schemas.py (HTTP) and deps.py (`AccessPrincipal`, used by every domain's protected routes) →
service.py (policy: `AuthenticationService`, `ChallengeService`) → tokens.py (JWTs), trust.py (chains),
xades_login.py (the bridge to crypto.xades), hooks.py (what other domains decide for the login flow) →
repositories/ (the only SQL) → tables.py. model.py holds the vocabulary.
"""

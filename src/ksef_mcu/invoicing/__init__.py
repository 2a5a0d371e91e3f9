"""Obsługa Faktur: the invoicing application that connects to any KSeF (our server, TEST, DEMO, PROD).

It has its own web screens (`screens`, built with the `web` toolkit), its own data directory and database (`tables`,
`migrations` with their own Alembic history and version table), and talks to KSeF only through `ksef_mcu.client`.

- `config`        where it keeps its data and which KSeF it talks to
- `vault`         the installation's master key: seals key passwords (AES-GCM), derives the session secret
- `passwords`     account password hashes (scrypt)
- `tables`, `repository`   its tables and the only SQL
- `accounts`      users, lockout, companies and per-company access
- `uploads`       the checks a certificate upload passes, in the guide's order (pure: bytes and `now` in)
- `connection`    "Przejdź dalej" / "Sprawdź połączenie": a live XAdES login and a read of the permissions
- `settings`      Ustawienia → KSeF: store, replace, remove, show the certificates; expiry warnings
- `app`, `screens`   the Starlette application and its pages

It never imports `ksef_mcu.server` (an import-linter contract holds it so).
"""

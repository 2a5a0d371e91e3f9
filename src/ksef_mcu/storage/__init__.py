"""Infrastructure both applications share (the MCU server and Obsługa Faktur): no KSeF policy, no HTTP.

- `database`: `Database` (engine, units of work) on SQLite or PostgreSQL;
- `statements`: statements compiled once per dialect (`FastStatement`) and `upsert`;
- `types`: the UTC column type, a 64-bit identity, the constraint naming convention;
- `migrations`: the Alembic runner, given an application's script directory and version table;
- `notifications`: PostgreSQL LISTEN/NOTIFY in a background thread;
- `files`: atomic writes with fixed permissions (0600 for secrets).
"""

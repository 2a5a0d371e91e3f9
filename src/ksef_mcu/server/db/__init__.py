"""Storage: tables, engine and units of work, repositories (the only SQL), migrations."""

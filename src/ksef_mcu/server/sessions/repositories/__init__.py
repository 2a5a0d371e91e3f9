"""The sessions domain's SQL (never commits: the caller's unit of work does)."""

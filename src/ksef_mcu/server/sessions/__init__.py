"""Online sessions: invoices sent encrypted, checked and numbered asynchronously, with their UPOs (docs/invoices.md)."""

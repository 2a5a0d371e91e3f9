"""Permissions: what a subject may do in a context. Today the grants store (test data writes it, the login flow's
resolver reads it); the permissions API (`/v2/permissions/*`: routes, schemas, service) grows here."""

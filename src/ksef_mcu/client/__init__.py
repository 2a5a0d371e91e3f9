"""Typed client for the KSeF API v2."""

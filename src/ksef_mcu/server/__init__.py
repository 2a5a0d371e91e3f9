"""The KSeF-compatible MCU server."""

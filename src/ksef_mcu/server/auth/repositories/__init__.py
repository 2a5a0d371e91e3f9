"""The auth domain's SQL: authentication operations and sessions, challenges, blocked contexts."""

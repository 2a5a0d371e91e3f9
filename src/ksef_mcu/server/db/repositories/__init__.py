"""Repositories: the only code that writes SQL. They run on a connection handed in by a service and never commit."""

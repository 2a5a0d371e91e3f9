"""Vocabulary of the permissions domain."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Grant:
    """One permission granted in a context, with the grantor's description."""

    permission_type: str
    description: str

"""Continuation tokens of paged lists (`x-continuation-token`, `continuationToken`).

The token is opaque to clients: base64url of a small JSON value. Keyset pages carry the last item's (moment,
reference number); other lists carry a position. A token that does not decode to what its list expects is 21418.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime

from ksef_mcu.server.errors import InvalidContinuationTokenError

__all__ = ["decode_continuation", "decode_keyset", "encode_continuation", "encode_keyset"]


def encode_continuation(value: object) -> str:
    """The token carrying `value` (anything JSON can hold)."""
    return base64.urlsafe_b64encode(json.dumps(value, separators=(",", ":")).encode("utf-8")).decode("ascii")


def decode_continuation(token: str) -> object:
    """The value in `token`. Raises `InvalidContinuationTokenError` when it is not one of ours."""
    try:
        return json.loads(base64.urlsafe_b64decode(token.encode("ascii")))
    except (ValueError, UnicodeError, binascii.Error):
        raise InvalidContinuationTokenError() from None


def encode_keyset(moment: datetime, reference_number: str) -> str:
    """The token of a keyset page that ended at the item (`moment`, `reference_number`)."""
    return encode_continuation([moment.isoformat(), reference_number])


def decode_keyset(token: str) -> tuple[datetime, str]:
    """The (moment, reference number) a keyset page ended at; the moment is timezone-aware. Raises
    `InvalidContinuationTokenError` when the token holds anything else."""
    value = decode_continuation(token)
    if not isinstance(value, list) or len(value) != 2 or not all(isinstance(part, str) for part in value):
        raise InvalidContinuationTokenError()
    try:
        moment = datetime.fromisoformat(value[0])
    except ValueError:
        raise InvalidContinuationTokenError() from None
    if moment.tzinfo is None:
        raise InvalidContinuationTokenError()
    return moment, value[1]

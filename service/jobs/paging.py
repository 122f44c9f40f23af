"""Page tokens of the List calls.

A page token carries the store position to list from and the state filter it was issued
for; any token the server did not issue (not base64url JSON of that shape, a position no
SQLite row can have, another filter) is :class:`InvalidArgument` naming ``page_token``.
"""

from __future__ import annotations

import base64
import binascii
import json

from escapesim.service.jobs.refusals import InvalidArgument
from escapesim.service.store.run_record import RunState

#: The largest SQLite rowid, hence the largest position a page token can carry.
_MAX_POSITION = 2**63 - 1


def encode_page_token(position: int, state: RunState | None) -> str:
    """A page token: list again from before ``position`` with the same state filter."""
    payload = json.dumps({"before": position, "state": state.value if state else ""})
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def decode_page_token(token: str, state: RunState | None) -> int | None:
    """The position a page token lists from (``None``: the first page); raises
    :class:`InvalidArgument` for a bad token or one issued for another filter."""
    if not token:
        return None
    try:
        padded = token + "=" * (-len(token) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode()))
        before, filtered = payload["before"], payload["state"]
        if not isinstance(before, int) or isinstance(before, bool) or not isinstance(filtered, str):
            raise TypeError
        if not 0 < before <= _MAX_POSITION:  # positions the store issued are SQLite rowids
            raise ValueError
    except (binascii.Error, ValueError, TypeError, KeyError, UnicodeDecodeError):
        raise InvalidArgument("page_token", "is not a token from a previous call") from None
    if filtered != (state.value if state else ""):
        raise InvalidArgument("page_token", "was issued for a different state filter")
    return before

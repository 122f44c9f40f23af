"""Page tokens of the List calls: signed, so that only tokens this server issued work.

A page token carries the store position to list from, the state filter and the kind of
job it was issued for, and an HMAC-SHA256 of them under the data directory's page key
(:attr:`escapesim.service.store.database.Store.page_key`, so tokens survive a restart).
Any other token (forged, altered, for another filter or kind) is :class:`InvalidArgument`
naming ``page_token``, and is never looked at further.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json

from escapesim.service.jobs.refusals import InvalidArgument
from escapesim.service.store.run_record import RunState

#: The largest SQLite rowid, hence the largest position a page token can carry.
_MAX_POSITION = 2**63 - 1
#: Bytes of the HMAC kept in a token.
_MAC_BYTES = 16


def encode_page_token(position: int, state: RunState | None, key: bytes, kind: str) -> str:
    """A page token: list ``kind`` again from before ``position`` with the same filter."""
    payload = json.dumps({"before": position, "state": state.value if state else "", "kind": kind})
    body = payload.encode()
    return f"{_b64(body)}.{_b64(_mac(key, body))}"


def decode_page_token(token: str, state: RunState | None, key: bytes, kind: str) -> int | None:
    """The position a page token lists from (``None``: the first page); raises
    :class:`InvalidArgument` for a token this server did not issue for this call."""
    if not token:
        return None
    try:
        encoded, _, mac = token.partition(".")
        body = _unb64(encoded)
        if not hmac.compare_digest(_unb64(mac), _mac(key, body)):
            raise ValueError
        payload = json.loads(body)
        before, filtered = payload["before"], payload["state"]
        if not isinstance(before, int) or isinstance(before, bool) or payload["kind"] != kind:
            raise TypeError
        if not 0 < before <= _MAX_POSITION:  # positions the store issued are SQLite rowids
            raise ValueError
    except (binascii.Error, ValueError, TypeError, KeyError, UnicodeDecodeError):
        raise InvalidArgument("page_token", "is not a token from a previous call") from None
    if filtered != (state.value if state else ""):
        raise InvalidArgument("page_token", "was issued for a different state filter")
    return before


def _mac(key: bytes, body: bytes) -> bytes:
    return hmac.new(key, body, hashlib.sha256).digest()[:_MAC_BYTES]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode((text + "=" * (-len(text) % 4)).encode())

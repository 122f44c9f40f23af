"""Page tokens are signed: only a token this server issued, for this call, lists on."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from escapesim.service.jobs.paging import decode_page_token, encode_page_token
from escapesim.service.jobs.refusals import InvalidArgument
from escapesim.service.store.database import Store
from escapesim.service.store.run_record import RunState

KEY = b"k" * 32


def test_a_token_round_trips() -> None:
    token = encode_page_token(42, RunState.QUEUED, KEY, "run")
    assert decode_page_token(token, RunState.QUEUED, KEY, "run") == 42


@pytest.mark.parametrize(
    "forge",
    [
        lambda t: encode_page_token(42, None, b"x" * 32, "run"),  # another server's key
        lambda t: encode_page_token(42, None, KEY, "ensemble"),  # another kind of job
        lambda t: t.split(".")[0],  # no signature
        lambda t: base64.urlsafe_b64encode(json.dumps({"before": 41, "state": "", "kind": "run"})
                                           .encode()).decode().rstrip("=") + "." + t.split(".")[1],
        lambda t: t + "A",
    ],
    ids=["key", "kind", "unsigned", "altered", "garbage"],
)  # fmt: skip
def test_a_token_not_issued_for_this_call_is_refused(forge: object) -> None:
    token = forge(encode_page_token(42, None, KEY, "run"))  # type: ignore[operator]
    with pytest.raises(InvalidArgument) as refused:
        decode_page_token(token, None, KEY, "run")
    assert refused.value.violations[0].field == "page_token"


def test_the_key_is_private_and_survives_a_restart(tmp_path: Path) -> None:
    store = Store(tmp_path / "data")
    first = store.page_key
    store.close()
    store = Store(tmp_path / "data")
    try:
        assert store.page_key == first
        assert len(first) == 32
        assert (tmp_path / "data" / "page.key").stat().st_mode & 0o777 == 0o600
    finally:
        store.close()

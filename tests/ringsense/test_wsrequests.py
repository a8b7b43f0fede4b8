"""What a failed subscriber connection is called, and what a refused subscription means for the user."""

from __future__ import annotations

import pytest

from server.ringsense.errors import BadRequestError, PermissionDeniedError
from server.ringsense.wsframes import FrameError
from server.ringsense.wsrequests import GatewayError, describe_failure


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (GatewayError("the gateway sent no ConnectionDetails within 10 s"), "the gateway sent no ConnectionDetails"),
        (FrameError("not a JSON array"), "not a JSON array"),
        (TimeoutError(), "could not be opened in time"),
        (PermissionDeniedError("the app lacks a scope", status=403), "the app lacks a scope"),
        (BadRequestError("bad filters", status=400), "bad filters"),
    ],
    ids=["gateway", "frame", "timeout", "ringsense-error", "bad-request"],
)
def test_a_failure_is_described_in_words(error: BaseException, expected: str) -> None:
    assert expected in describe_failure(error)


def test_an_unknown_failure_is_named_by_its_type_never_by_its_text_which_may_quote_the_url() -> None:
    error = OSError("cannot reach wss://ws.example/ws?access_token=SECRET")
    assert describe_failure(error) == "OSError"

"""The WebSocket gateway's framing: both documented variants parse, anything else is refused clearly."""

from __future__ import annotations

import json

import pytest

from server.ringsense.wsframes import (
    ConnectionDetails,
    FrameError,
    MessageType,
    client_request,
    connection_url,
    heartbeat,
    parse_frame,
    safe_url,
)

DOCS_CONNECTION_DETAILS = [
    {
        "type": "ConnectionDetails",
        "messageId": "156eec30",
        "status": 200,
        "wsc": {"token": "RTFhRG5n", "sequence": 1},
        "headers": {"RCRequestId": "156eec30"},
    },
    {"creationTime": "2020-09-07T21:50:02.737+0000", "recoveryTimeout": 180, "idleTimeout": 1800},
]
# The session-recovery sample: no headers, wsc keys in another order, recoveryState in the body.
DOCS_RECOVERY = [
    {"type": "ConnectionDetails", "messageId": "XXX", "status": 200, "wsc": {"sequence": 1, "token": "G86G3H"}},
    {"creationTime": "2020-01-15T12:00:01Z", "recoveryState": "Successful", "recoveryTimeout": 30},
]


def test_connection_details_parse_with_wsc_and_limits() -> None:
    frame = parse_frame(json.dumps(DOCS_CONNECTION_DETAILS))
    details = ConnectionDetails.from_body(frame.body)

    assert frame.type == MessageType.CONNECTION_DETAILS and frame.status == 200
    assert frame.wsc is not None and frame.wsc.token == "RTFhRG5n" and frame.wsc.sequence == 1
    assert frame.headers == {"rcrequestid": "156eec30"}
    assert details.recovery_timeout == 180 and details.recovery_state is None
    assert details.absolute_timeout == 86400  # absent: the documented default


def test_the_recovery_variant_without_headers_parses_too() -> None:
    frame = parse_frame(json.dumps(DOCS_RECOVERY))
    details = ConnectionDetails.from_body(frame.body)

    assert frame.headers == {} and frame.wsc is not None and frame.wsc.token == "G86G3H"
    assert details.recovery_state == "Successful" and details.recovery_timeout == 30


@pytest.mark.parametrize(
    ("meta", "body", "expected"),
    [
        ({"headers": {"WSG-SubscriptionId": "sub-1"}}, {"id": "sub-1"}, "sub-1"),
        ({"headers": {"wsg-subscriptionid": "sub-2"}}, None, "sub-2"),
        ({}, {"id": "sub-3"}, "sub-3"),
        ({}, {"eventFilters": []}, None),
    ],
    ids=["header-and-body", "lower-case-header-only", "body-only", "neither"],
)
def test_a_subscription_reply_names_its_id_by_header_or_body(meta: dict, body: object, expected: str | None) -> None:
    message = [{"type": "ClientRequest", "messageId": "m", "status": 200, **meta}]
    if body is not None:
        message.append(body)
    assert parse_frame(json.dumps(message)).subscription_id == expected


@pytest.mark.parametrize(
    ("message", "success", "code", "text"),
    [
        (
            [{"type": "Error", "status": 400}, {"errorCode": "WSG-902", "message": "Idle timeout expired"}],
            False,
            "WSG-902",
            "Idle timeout expired",
        ),
        (
            [{"type": "ClientRequest", "status": 400}, {"errors": [{"errorCode": "SUB-508", "message": "Invalid"}]}],
            False,
            "SUB-508",
            "Invalid",
        ),
        (
            [{"type": "ClientRequest", "status": 403}, {"errorCode": "CMN-408", "message": "x", "errors": []}],
            False,
            "CMN-408",
            "x",
        ),
        ([{"type": "ClientRequest", "status": 204}], True, None, None),
    ],
    ids=["error-message", "rest-errors-array", "legacy-top-level", "no-content"],
)
def test_errors_are_read_from_either_shape(message: list, success: bool, code: str | None, text: str | None) -> None:
    frame = parse_frame(json.dumps(message))
    assert frame.is_success is success
    assert frame.error()[:2] == (code, text)


@pytest.mark.parametrize(
    "data",
    [
        "{not json",
        "[]",
        "[1, 2]",
        '{"no": "type"}',
        '[{"type": ""}]',
        '"text"',
        b"\xff\xfe",
        '[{"type": "ServerNotification"}, {"body": {"text": "x\\ud800y"}}]',
    ],
    ids=[
        "not-json",
        "empty-array",
        "meta-not-object",
        "object-without-type",
        "empty-type",
        "a-string",
        "bad-bytes",
        "lone-surrogate",
    ],
)
def test_anything_else_is_a_frame_error_that_does_not_quote_it(data: str | bytes) -> None:
    with pytest.raises(FrameError) as caught:
        parse_frame(data)
    assert str(data) not in str(caught.value)


def test_a_bare_meta_object_is_tolerated() -> None:
    assert parse_frame('{"type": "Heartbeat", "messageId": "h"}').type == MessageType.HEARTBEAT


def test_requests_and_heartbeats_serialise_as_the_docs_show() -> None:
    request = json.loads(
        client_request("POST", "/restapi/v1.0/subscription/", {"eventFilters": ["/f"]}, message_id="m")
    )
    delete = json.loads(client_request("DELETE", "/restapi/v1.0/subscription/s", message_id="d"))

    assert request == [
        {"type": "ClientRequest", "messageId": "m", "method": "POST", "path": "/restapi/v1.0/subscription/"},
        {"eventFilters": ["/f"]},
    ]
    assert len(delete) == 1
    assert json.loads(heartbeat("h")) == [{"type": "Heartbeat", "messageId": "h"}]


def test_the_connection_url_carries_the_tokens_and_the_safe_url_drops_them() -> None:
    url = connection_url("wss://ws-api.ringcentral.com/ws", "tok/en+1", "wsc=2")

    assert url == "wss://ws-api.ringcentral.com/ws?access_token=tok%2Fen%2B1&wsc=wsc%3D2"
    assert safe_url(url) == "wss://ws-api.ringcentral.com/ws"
    assert "tok" not in safe_url("ws://127.0.0.1:8787/ws?access_token=tok")


def test_the_wsc_token_is_not_in_a_repr() -> None:
    frame = parse_frame(json.dumps(DOCS_CONNECTION_DETAILS))
    assert "RTFhRG5n" not in repr(frame)

"""What an upstream can make the client hold: response bodies are capped, and shapes are checked, not guessed."""

from __future__ import annotations

import json
from typing import Any

import anyio
import httpx
import pytest

from server.ringsense import ResponseFormatError, RetryPolicy, RingSenseClient
from server.ringsense.client import MAX_RESPONSE_BYTES
from server.sandbox import Fault, SandboxPlatform, create_sandbox_app

from .conftest import FULL_JWT, RECORD_ID, ClientFactory, credentials, fast_pacer

pytestmark = pytest.mark.anyio

INSIGHTS = "/ai/*insights"
PERMISSION = "*/authz-profile/check"
CAP = 1024 * 1024
LOOPBACK_TIMEOUT = 30


@pytest.mark.parametrize("declare_length", [False, True], ids=["chunked", "content-length"])
async def test_a_body_past_the_cap_is_refused_with_a_format_error_and_not_retried(
    platform: SandboxPlatform, make_client: ClientFactory, declare_length: bool
) -> None:
    platform.faults.inject(INSIGHTS, Fault.oversized_body(3 * CAP, declare_length=declare_length), times=None)
    client = make_client(max_response_bytes=CAP)
    with pytest.raises(ResponseFormatError) as caught:
        await client.get_record_insights(RECORD_ID)
    message = caught.value.message
    assert "too large to read" in message and "at most 1 MiB" in message
    assert ("announced 3,145,728 bytes" if declare_length else "passed 1,048,576 bytes") in message
    assert caught.value.status == 200
    assert len(platform.requests_to("insights")) == 1, "a body that is too large is not fetched again"
    assert FULL_JWT not in str(caught.value)


async def test_a_body_just_under_the_cap_is_read(platform: SandboxPlatform, make_client: ClientFactory) -> None:
    body = {"title": "A long call", "domain": "pbx", "sourceRecordId": RECORD_ID, "padding": ""}
    body["padding"] = "x" * (CAP - len(json.dumps(body)))
    platform.faults.inject(INSIGHTS, Fault.json(200, body))
    insights = await make_client(max_response_bytes=CAP).get_record_insights(RECORD_ID)
    assert insights.source_record_id == RECORD_ID


async def test_an_endless_body_over_a_real_socket_is_abandoned_at_the_cap(
    platform: SandboxPlatform, served_url: str
) -> None:
    """1 GiB streamed over loopback: only a client that stops reading at the cap finishes in time."""
    platform.faults.inject(INSIGHTS, Fault.oversized_body(1024**3))
    async with RingSenseClient(
        server_url=served_url,
        credentials=credentials(),
        retry=RetryPolicy.no_retry(),
        pacer=fast_pacer(),
        max_response_bytes=CAP,
    ) as client:
        with anyio.fail_after(LOOPBACK_TIMEOUT), pytest.raises(ResponseFormatError, match="still coming"):
            await client.get_record_insights(RECORD_ID)
        # The connection was dropped, not left half-read: the next request works.
        assert (await client.check_permission()).successful


async def test_the_default_cap_is_far_above_the_largest_sample_call() -> None:
    """The sandbox's longest call (90 minutes) is read in full, and a 4-hour call would be too, 50 times over."""
    platform = SandboxPlatform(rate_limits={"Light": 1000, "Heavy": 1000, "Auth": 1000})
    largest = max(
        (recording for call in platform.dataset.calls for recording in call.recordings if recording.insights),
        key=lambda recording: len(json.dumps(recording.insights)),
    )
    size = len(json.dumps(largest.insights).encode())
    hours = largest.insights["recordingDurationMs"] / 3_600_000
    assert size * (4 / hours) * 50 < MAX_RESPONSE_BYTES
    http = httpx.AsyncClient(transport=httpx.ASGITransport(create_sandbox_app(platform)))
    async with RingSenseClient(
        server_url="https://platform.sandbox.test",
        credentials=credentials(platform.dataset.users[0].jwt),
        http_client=http,
        pacer=fast_pacer(),
    ) as client:
        insights = await client.get_record_insights(largest.record_id)
    await http.aclose()
    assert len(insights.insights.transcript) == len(largest.insights["insights"]["Transcript"])


@pytest.mark.parametrize(
    "body",
    [{}, {"successful": "true"}, {"successful": None}, {"successful": 1}, {"granted": True}, {"uri": "x"}],
    ids=["empty", "string", "null", "number", "other-field", "no-successful"],
)
async def test_a_permission_check_of_the_wrong_shape_is_a_format_error_not_a_refusal(
    platform: SandboxPlatform, make_client: ClientFactory, body: dict[str, Any]
) -> None:
    platform.faults.inject(PERMISSION, Fault.json(200, body))
    with pytest.raises(ResponseFormatError, match="successful"):
        await make_client().check_permission()


async def test_a_documented_refusal_is_still_a_plain_false(
    platform: SandboxPlatform, make_client: ClientFactory
) -> None:
    platform.faults.inject(PERMISSION, Fault.json(200, {"uri": "https://x/check", "successful": False}))
    check = await make_client().check_permission()
    assert check.successful is False and check.details is None

"""The sandbox serving the real sample dataset (`build_dataset()`), as the demo and the client tests see it."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import httpx
import pytest

from server.sandbox import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, SandboxPlatform, create_sandbox_app
from server.sandbox.dataset import build_dataset
from server.sandbox.samples import SampleCall

from .helpers import BASE_URL, JWT_GRANT, bearer, login

pytestmark = pytest.mark.anyio

RECORD = "/ai/ringsense/v1/public/accounts/~/domains/{domain}/records/{id}/insights"
SESSION = "/ai/ringsense/v1/public/accounts/~/domains/{domain}/sessions/{id}/insights"
COMPANY_LOG = "/restapi/v1.0/account/~/call-log"
WIDE = {"dateFrom": "2000-01-01T00:00:00Z", "perPage": "max"}


@pytest.fixture
def default_platform() -> SandboxPlatform:
    return SandboxPlatform(enforce_rate_limits=False)


@pytest.fixture
async def http(default_platform: SandboxPlatform) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_sandbox_app(default_platform))
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        yield client


def phone_calls(platform: SandboxPlatform) -> list[SampleCall]:
    return [call for call in platform.dataset.calls if call.call_log]


async def test_default_platform_serves_build_dataset(default_platform: SandboxPlatform) -> None:
    assert default_platform.dataset.account_id == build_dataset().account_id
    assert default_platform.dataset.calls


async def test_default_app_has_a_platform_of_its_own() -> None:
    transport = httpx.ASGITransport(app=create_sandbox_app())
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        token = await login(client, build_dataset().users[0].jwt)

    assert token["owner_id"] == build_dataset().users[0].extension_id


async def test_every_user_logs_in_and_the_check_reflects_their_insights_permission(
    http: httpx.AsyncClient, default_platform: SandboxPlatform
) -> None:
    for user in default_platform.dataset.users:
        token = await login(http, user.jwt)
        check = await http.get(
            "/restapi/v1.0/account/~/extension/~/authz-profile/check",
            params={"permissionId": "ReadRingSenseInsights"},
            headers=bearer(token),
        )
        assert token["owner_id"] == user.extension_id
        assert check.json()["successful"] is user.can_read_insights, user.name


async def test_the_default_user_holds_every_permission(default_platform: SandboxPlatform) -> None:
    default_user = default_platform.dataset.users[0]

    assert default_user.can_read_insights and default_user.can_read_company_call_log


async def test_every_recording_is_served_or_404_exactly_as_the_dataset_says(
    http: httpx.AsyncClient, default_platform: SandboxPlatform
) -> None:
    headers = bearer(await login(http, default_platform.dataset.users[0].jwt))
    for call in default_platform.dataset.calls:
        for recording in call.recordings:
            response = await http.get(RECORD.format(domain=call.domain, id=recording.record_id), headers=headers)
            if recording.insights is None:
                assert response.status_code == 404, call.key
                assert response.json()["errors"][0]["errorCode"] == "RAH-3001"
            else:
                assert response.status_code == 200, call.key
                assert response.json() == recording.insights


async def test_every_session_lists_its_ready_recordings(
    http: httpx.AsyncClient, default_platform: SandboxPlatform
) -> None:
    headers = bearer(await login(http, default_platform.dataset.users[0].jwt))
    for call in default_platform.dataset.calls:
        if not call.recordings:
            continue
        ready = [r.insights for r in call.recordings if r.insights is not None]
        response = await http.get(SESSION.format(domain=call.domain, id=call.session_id), headers=headers)
        if ready:
            assert response.json()["records"] == ready, call.key
            assert response.json()["paging"]["totalElements"] == len(ready)
        else:
            assert response.status_code == 404, call.key


async def test_highlights_filter_finds_the_legacy_spelling_in_the_sample_data(
    http: httpx.AsyncClient, default_platform: SandboxPlatform
) -> None:
    headers = bearer(await login(http, default_platform.dataset.users[0].jwt))
    legacy = [
        (call, rec)
        for call in default_platform.dataset.calls
        for rec in call.recordings
        if rec.insights and "HighLights" in rec.insights["insights"]
    ]
    assert legacy, "the sample data should carry the docs' HighLights spelling somewhere"
    call, recording = legacy[0]

    response = await http.get(
        RECORD.format(domain=call.domain, id=recording.record_id),
        params={"insightTypes": "Highlights"},
        headers=headers,
    )

    assert list(response.json()["insights"]) == ["HighLights"]


async def test_company_call_log_returns_every_phone_call_newest_first(
    http: httpx.AsyncClient, default_platform: SandboxPlatform
) -> None:
    headers = bearer(await login(http, default_platform.dataset.users[0].jwt))

    body = (await http.get(COMPANY_LOG, params={**WIDE, "view": "Detailed"}, headers=headers)).json()

    starts = [record["startTime"] for record in body["records"]]
    assert len(starts) == len(phone_calls(default_platform))
    assert starts == sorted(starts, reverse=True)


async def test_recording_type_all_keeps_only_recorded_calls(
    http: httpx.AsyncClient, default_platform: SandboxPlatform
) -> None:
    headers = bearer(await login(http, default_platform.dataset.users[0].jwt))

    body = (await http.get(COMPANY_LOG, params={**WIDE, "recordingType": "All"}, headers=headers)).json()

    recorded = {call.call_log["id"] for call in phone_calls(default_platform) if call.recordings}
    assert {record["id"] for record in body["records"]} == recorded


async def test_each_user_sees_only_their_own_calls(http: httpx.AsyncClient, default_platform: SandboxPlatform) -> None:
    for user in default_platform.dataset.users:
        headers = bearer(await login(http, user.jwt))
        body = (await http.get("/restapi/v1.0/account/~/extension/~/call-log", params=WIDE, headers=headers)).json()
        own = {c.call_log["id"] for c in phone_calls(default_platform) if c.owner_extension_id == user.extension_id}
        assert {record["id"] for record in body["records"]} == own, user.name


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
async def test_run_sandbox_works_by_hand_with_curl(tmp_path: Path) -> None:
    """`ringsense-mcp sandbox`, then a token with curl's Basic auth, then insights with the bearer token."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    dataset = build_dataset()
    recording = next(r for c in dataset.calls for r in c.recordings if r.insights and c.domain == "pbx")
    code = f"from server.sandbox import run_sandbox; run_sandbox(port={port})"
    log = tmp_path / "sandbox.log"
    with log.open("wb") as stderr:
        process = await anyio.open_process([sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=stderr)
    try:
        with anyio.fail_after(20):
            async with httpx.AsyncClient(base_url=base) as probe:
                while True:
                    assert process.returncode is None, log.read_text()
                    try:
                        await probe.get("/")
                        break
                    except httpx.TransportError:
                        await anyio.sleep(0.05)

            token_run = await anyio.run_process(
                [
                    *("curl", "-sS", "-u", f"{SANDBOX_CLIENT_ID}:{SANDBOX_CLIENT_SECRET}"),
                    *("-d", f"grant_type={JWT_GRANT}", "--data-urlencode", f"assertion={dataset.users[0].jwt}"),
                    f"{base}/restapi/oauth/token",
                ]
            )
            access_token = httpx.Response(200, content=token_run.stdout).json()["access_token"]
            insights_run = await anyio.run_process(
                [
                    *("curl", "-sS", "-H", f"Authorization: Bearer {access_token}"),
                    f"{base}{RECORD.format(domain='pbx', id=recording.record_id)}?insightTypes=Summary",
                ]
            )
    finally:
        process.terminate()
        with anyio.fail_after(10):
            await process.wait()

    body = httpx.Response(200, content=insights_run.stdout).json()
    assert body["sourceRecordId"] == recording.record_id
    assert set(body["insights"]) <= {"Summary"}

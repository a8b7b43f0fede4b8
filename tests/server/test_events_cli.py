"""`ringsense-mcp events`: one line per event as it arrives, readable or JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import partial

import anyio
import httpx
import pytest

from server.cli import main, parse_args
from server.events_cli import describe, parse_domains, print_events
from server.ringsense import EventSubscriber, Gap, JWTCredentials, RingSenseClient
from server.sandbox import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, SandboxPlatform, serve_sandbox

pytestmark = pytest.mark.anyio
WAIT = 10.0


@pytest.mark.parametrize("as_json", [False, True], ids=["readable", "json"])
async def test_a_finished_call_prints_one_line_then_an_update_line(as_json: bool) -> None:
    platform = SandboxPlatform()
    lines: list[str] = []
    async with serve_sandbox(platform) as base, httpx.AsyncClient(base_url=base) as control:
        credentials = JWTCredentials(SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, platform.users[0].jwt)
        async with RingSenseClient(server_url=base, credentials=credentials) as client:
            async with EventSubscriber(client, domains=["pbx"]) as subscriber, anyio.create_task_group() as tasks:
                tasks.start_soon(partial(print_events, subscriber, lines.append, as_json=as_json))
                with anyio.fail_after(WAIT):
                    await subscriber.wait_for(lambda s: s.state == "subscribed")
                    answer = (await control.post("/sandbox/v1/analysis-complete")).json()
                    await subscriber.wait_for(lambda s: s.events == 2)
                await subscriber.aclose()

    assert len(lines) == 2
    if as_json:
        first, second = map(json.loads, lines)
        assert first["sourceRecordId"] == second["sourceRecordId"] == answer["sourceRecordId"]
        assert (first["update"], second["update"]) == (False, True)
        assert "Highlights" in second["insightTypes"] and "Highlights" not in first["insightTypes"]
        assert second["event"]["body"]["sourceRecordId"] == answer["sourceRecordId"]
    else:
        assert lines[0].startswith("insights pbx") and lines[1].startswith("update   pbx")
        assert all(answer["sourceRecordId"] in line for line in lines)


@pytest.mark.parametrize("as_json", [False, True], ids=["readable", "json"])
def test_a_gap_line_names_its_window_and_reason(as_json: bool) -> None:
    gap = Gap(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), datetime(2026, 1, 2, 3, 9, 0, tzinfo=UTC), "recovery failed")
    line = describe(gap, update=False, as_json=as_json)
    if as_json:
        assert json.loads(line) == {
            "kind": "gap",
            "since": "2026-01-02T03:04:05+00:00",
            "until": "2026-01-02T03:09:00+00:00",
            "reason": "recovery failed",
        }
    else:
        assert "2026-01-02 03:04:05 to 03:09:00 UTC" in line and "recovery failed" in line


@pytest.mark.parametrize(
    ("argv", "domains"),
    [(["events"], ["pbx", "rcv", "rcx", "nice-incontact", "ms-teams"]),
     (["events", "--domain", "pbx,rcx"], ["pbx", "rcx"]),
     (["events", "--domain", "pbx", "--domain", "ms-teams"], ["pbx", "ms-teams"])],
    ids=["default-all", "comma-separated", "repeated"],
)  # fmt: skip
def test_domains_are_chosen_on_the_command_line(argv: list[str], domains: list[str]) -> None:
    assert parse_domains(parse_args(argv).domain) == domains


def test_an_unknown_domain_is_refused_with_status_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["events", "--sandbox", "--domain", "zoom"]) == 2
    assert "Unknown RingSense domain" in capsys.readouterr().err

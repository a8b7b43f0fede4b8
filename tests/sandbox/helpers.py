"""Helpers for the sandbox tests: a tiny hand-built dataset, a fake clock, login shortcuts."""

from __future__ import annotations

import base64
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from server.sandbox import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET
from server.sandbox.samples import Dataset, SampleCall, SampleRecording, SandboxUser

BASE_URL = "https://platform.ringcentral.com"
ACCOUNT_ID = "809646001"
FULL_USER = SandboxUser("62288320001", "Avery Quinn", "101", jwt="jwt-full-user")
LIMITED_USER = SandboxUser(
    "62288320002",
    "Blake Lin",
    "102",
    jwt="jwt-limited-user",
    can_read_insights=False,
    can_read_company_call_log=False,
)
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"


class FakeClock:
    """A clock tests move by hand; starts at the real time so that "the last 24 hours" means something."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def insights_body(record_id: str, session_id: str, owner: str, domain: str = "pbx") -> dict[str, Any]:
    return {
        "title": f"Call {record_id}",
        "domain": domain,
        "sourceRecordId": record_id,
        "sourceSessionId": session_id,
        "callDirection": "Outbound",
        "ownerExtensionId": owner,
        "recordingDurationMs": 60000,
        "recordingStartTime": "2026-01-01T10:00:00.000Z",
        "creationTime": "2026-01-01T10:20:00.000Z",
        "lastModifiedTime": "2026-01-01T10:20:00.000Z",
        "speakerInfo": [{"speakerId": "p-1", "name": "Avery Quinn", "accountId": ACCOUNT_ID, "extensionId": owner}],
        "insights": {
            "Transcript": [{"speakerId": "p-1", "text": "Hello there.", "start": 0.5, "end": 1.5}],
            "Summary": [{"value": "A short call.", "start": 0, "end": 1}],
            "HighLights": [{"speakerId": "p-1", "value": "Budget confirmed.", "start": 0.5, "end": 1.5}],
            "NextSteps": [{"speakerId": "p-1", "value": "Send a quote.", "start": 0.5, "end": 1.5}],
            "AIScore": [{"value": "8"}],
            "Sentiment": [{"value": "Positive"}],
            "QnA": [{"speakerId": "p-1", "value": "Q: price? A: soon.", "start": 0.5, "end": 1.5}],
        },
    }


def call_log_record(
    key: str,
    session_id: str,
    start: datetime,
    direction: str,
    owner: str,
    recordings: list[tuple[str, str]],  # (recording id, type)
    other_number: str,
) -> dict[str, Any]:
    mine = {"phoneNumber": "+16505550100", "name": "Avery Quinn", "extensionId": owner}
    theirs = {"phoneNumber": other_number, "name": "Customer"}
    legs = []
    for recording_id, recording_type in recordings or [("", "")]:
        leg: dict[str, Any] = {"startTime": _iso(start), "telephonySessionId": session_id, "legType": "Accept"}
        if recording_id:
            leg["recording"] = {
                "id": recording_id,
                "uri": f"{BASE_URL}/restapi/v1.0/account/{ACCOUNT_ID}/recording/{recording_id}",
                "type": recording_type,
                "contentUri": f"https://media.ringcentral.com/restapi/v1.0/account/{ACCOUNT_ID}/recording/{recording_id}/content",
            }
        legs.append(leg)
    record: dict[str, Any] = {
        "id": f"cl-{key}",
        "uri": f"{BASE_URL}/restapi/v1.0/account/{ACCOUNT_ID}/call-log/cl-{key}",
        "sessionId": f"sess-{key}",
        "telephonySessionId": session_id,
        "startTime": _iso(start),
        "duration": 60,
        "durationMs": 60000,
        "type": "Voice",
        "direction": direction,
        "action": "Phone Call",
        "result": "Accepted",
        "from": mine if direction == "Outbound" else theirs,
        "to": theirs if direction == "Outbound" else mine,
        "extension": {"id": int(owner), "uri": f"{BASE_URL}/restapi/v1.0/account/{ACCOUNT_ID}/extension/{owner}"},
        "lastModifiedTime": _iso(start + timedelta(minutes=5)),
        "legs": legs,
    }
    if recordings:
        record["recording"] = legs[0]["recording"]
    return record


def tiny_dataset(now: datetime | None = None) -> Dataset:
    """Five calls: two recorded pbx calls (one transferred, with one leg not analysed yet), an unrecorded call
    of the limited user, an old call outside the default 24 h window, and an rcv meeting (not in the call log)."""
    now = now or datetime.now(UTC)
    owner = FULL_USER.extension_id

    def call(key: str, session: str, hours_ago: float, direction: str, recs: list[tuple[str, str, bool]], **kw: Any):
        start = now - timedelta(hours=hours_ago)
        who = kw.get("owner", owner)
        domain = kw.get("domain", "pbx")
        log = call_log_record(
            key, session, start, direction, who, [(r, t) for r, t, _ in recs], kw.get("other", "+14155550123")
        )
        recordings = [
            SampleRecording(r, insights_body(r, session, who, domain) if ready else None) for r, _, ready in recs
        ]
        if domain != "pbx":
            log = {}  # a video meeting is not a phone call: it has no call-log record
        return SampleCall(key, session, domain, who, log, recordings)

    return Dataset(
        account_id=ACCOUNT_ID,
        users=[FULL_USER, LIMITED_USER],
        calls=[
            call("old", "s-old", 30, "Inbound", [("4001", "Automatic", False)]),
            call("transfer", "s-transfer", 5, "Inbound", [("2001", "OnDemand", True), ("2002", "OnDemand", False)]),
            call("meeting", "m-555", 4, "Outbound", [("m-555", "Automatic", True)], domain="rcv"),
            call("unrecorded", "s-unrec", 3, "Inbound", [], owner=LIMITED_USER.extension_id, other="+12125550199"),
            call("discovery", "s-discovery", 2, "Outbound", [("1001", "Automatic", True)]),
        ],
    )


def basic_auth(client_id: str = SANDBOX_CLIENT_ID, secret: str = SANDBOX_CLIENT_SECRET) -> dict[str, str]:
    encoded = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {encoded}"}


async def request_token(client: httpx.AsyncClient, **form: str) -> httpx.Response:
    return await client.post("/restapi/oauth/token", data=form, headers=basic_auth())


async def login(client: httpx.AsyncClient, jwt: str = FULL_USER.jwt) -> dict[str, Any]:
    response = await request_token(client, grant_type=JWT_GRANT, assertion=jwt)
    assert response.status_code == 200, response.text
    token: dict[str, Any] = response.json()
    return token


def bearer(token: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {token['access_token']}"}

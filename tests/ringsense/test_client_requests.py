"""What the client sends: validated ids as one path segment, insight types, call-log parameters and
fallback, and the insights cache."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import quote, urlencode

import anyio
import httpx
import pytest

from server.ringsense import InsightType, InvalidIdError, PermissionDeniedError, RingSenseClient, RingSenseError
from server.sandbox import Fault, SandboxPlatform

from .conftest import (
    NO_INSIGHTS_JWT,
    OWN_LOG_JWT,
    RECORD_ID,
    SECOND_RECORD_ID,
    SESSION_ID,
    ClientFactory,
    credentials,
)
from .fakes import FakeTime
from .test_params import HOSTILE_IDS

pytestmark = pytest.mark.anyio

JANUARY = datetime(2026, 1, 1, tzinfo=UTC)
FEBRUARY = datetime(2026, 2, 1, tzinfo=UTC)
INSIGHTS_PATH = "/ai/ringsense/v1/public/accounts/~/domains/pbx/records/{}/insights"


# -- ids --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", HOSTILE_IDS, ids=[ascii(v)[:30] for v in HOSTILE_IDS])
async def test_hostile_ids_are_refused_without_any_request(
    platform: SandboxPlatform, make_client: ClientFactory, value: str
) -> None:
    client = make_client()
    with pytest.raises(InvalidIdError):
        await client.get_record_insights(value)
    with pytest.raises(InvalidIdError):
        await client.get_session_insights(value)
    with pytest.raises(InvalidIdError):
        await client.check_permission(target_extension_id=value)
    assert platform.requests == []


async def test_an_id_is_sent_as_exactly_one_path_segment(platform: SandboxPlatform, make_client: ClientFactory) -> None:
    odd = "cbac2b78-f7ad!us-10-dca09@us-10"
    platform.faults.inject("/ai/*", Fault.json(404, {"errorCode": "RAH-3001", "message": "Insights not found"}))
    with pytest.raises(RingSenseError):
        await make_client().get_record_insights(odd)
    (request,) = platform.requests_to("/ai/")
    assert request.path == INSIGHTS_PATH.format(odd)


@pytest.mark.parametrize("domain", ["PBX", "connect-and-sell", "", "pbx/../../restapi", "x y"])
async def test_unknown_domains_are_refused_without_any_request(
    platform: SandboxPlatform, make_client: ClientFactory, domain: str
) -> None:
    with pytest.raises(InvalidIdError, match="pbx, rcv, rcx, nice-incontact, ms-teams"):
        await make_client().get_record_insights(RECORD_ID, domain=domain)
    assert platform.requests == []


@pytest.mark.parametrize("domain", ["rcv", "rcx", "nice-incontact", "ms-teams"])
async def test_other_domains_go_into_the_path(
    platform: SandboxPlatform, make_client: ClientFactory, domain: str
) -> None:
    with pytest.raises(RingSenseError):  # the small dataset has pbx calls only
        await make_client().get_record_insights(RECORD_ID, domain=domain)
    assert platform.requests_to("/ai/")[0].path == INSIGHTS_PATH.format(RECORD_ID).replace("/pbx/", f"/{domain}/")


@pytest.mark.parametrize("permission_id", ["", "Read/Insights", "a b", "Read%2FX"])
async def test_bad_permission_ids_are_refused(
    platform: SandboxPlatform, make_client: ClientFactory, permission_id: str
) -> None:
    with pytest.raises(InvalidIdError):
        await make_client().check_permission(permission_id=permission_id)
    assert platform.requests == []


# -- insight types ----------------------------------------------------------------------------------


async def test_insight_types_are_one_comma_separated_parameter(
    platform: SandboxPlatform, make_client: ClientFactory
) -> None:
    insights = await make_client().get_record_insights(
        RECORD_ID, insight_types=["summary", InsightType.TRANSCRIPT, "Summary"]
    )
    assert platform.requests_to("/ai/")[0].query == "insightTypes=Transcript,Summary"
    assert insights.insights.present == ["Transcript", "Summary"]
    assert insights.insights.next_steps == []


async def test_no_insight_types_means_all(platform: SandboxPlatform, make_client: ClientFactory) -> None:
    insights = await make_client().get_record_insights(RECORD_ID)
    assert platform.requests_to("/ai/")[0].query == ""
    assert insights.insights.next_steps and insights.insights.ai_score


@pytest.mark.parametrize("types", [["QnA"], ["Transcript", "Bogus"], [], [3], "Transcript,Summary"])
async def test_unknown_insight_types_are_refused_without_any_request(
    platform: SandboxPlatform, make_client: ClientFactory, types: object
) -> None:
    with pytest.raises(InvalidIdError):
        await make_client().get_record_insights(RECORD_ID, insight_types=types)  # type: ignore[arg-type]
    assert platform.requests == []


async def test_a_single_type_name_is_accepted(platform: SandboxPlatform, make_client: ClientFactory) -> None:
    await make_client().get_record_insights(RECORD_ID, insight_types="Sentiment")  # type: ignore[arg-type]
    assert platform.requests_to("/ai/")[0].query == "insightTypes=Sentiment"


async def test_session_insights_hold_every_recording(platform: SandboxPlatform, make_client: ClientFactory) -> None:
    session = await make_client().get_session_insights(SESSION_ID, insight_types=["Transcript"])
    assert [r.source_record_id for r in session.records] == [RECORD_ID, SECOND_RECORD_ID]
    assert session.paging.total_elements == 2
    assert platform.requests_to("/ai/")[0].path.endswith(f"/sessions/{SESSION_ID}/insights")


# -- the cache --------------------------------------------------------------------------------------


async def test_a_cache_hit_makes_no_request(platform: SandboxPlatform, make_client: ClientFactory) -> None:
    client = make_client()
    first = await client.get_record_insights(RECORD_ID)
    second = await client.get_record_insights(RECORD_ID)
    assert first == second
    assert len(platform.requests_to("/ai/")) == 1


async def test_cache_hits_share_one_parsed_response(make_client: ClientFactory) -> None:
    """Returned models are read-only by contract; a hit costs no copy of the transcript."""
    client = make_client()
    assert await client.get_record_insights(RECORD_ID) is await client.get_record_insights(RECORD_ID)


async def test_a_cached_response_with_every_type_answers_narrower_requests(
    platform: SandboxPlatform, make_client: ClientFactory
) -> None:
    client = make_client()
    everything = await client.get_record_insights(RECORD_ID)
    transcript_only = await client.get_record_insights(RECORD_ID, insight_types=["Transcript"])
    assert transcript_only.insights.transcript == everything.insights.transcript
    assert [r.query for r in platform.requests_to("/ai/")] == [""]


async def test_the_cache_is_keyed_by_kind_and_insight_types(
    platform: SandboxPlatform, make_client: ClientFactory
) -> None:
    client = make_client()
    await client.get_record_insights(RECORD_ID, insight_types=["Transcript"])
    await client.get_record_insights(RECORD_ID, insight_types=["Summary"])
    await client.get_record_insights(RECORD_ID, insight_types=["Summary", "Transcript"])
    await client.get_record_insights(RECORD_ID, insight_types=["transcript", "Summary"])  # same set: a hit
    await client.get_record_insights(RECORD_ID)
    await client.get_session_insights(RECORD_ID.replace(RECORD_ID, SESSION_ID))
    queries = [r.query for r in platform.requests_to("/ai/")]
    assert queries == ["insightTypes=Transcript", "insightTypes=Summary", "insightTypes=Transcript,Summary", "", ""]


async def test_cached_insights_expire_after_the_ttl(
    platform: SandboxPlatform, make_client: ClientFactory, fake_time: FakeTime
) -> None:
    client = make_client(cache_ttl=60)
    await client.get_record_insights(RECORD_ID)
    fake_time.advance(59)
    await client.get_record_insights(RECORD_ID)
    fake_time.advance(2)
    await client.get_record_insights(RECORD_ID)
    assert len(platform.requests_to("/ai/")) == 2


async def test_cache_ttl_zero_disables_the_cache(platform: SandboxPlatform, make_client: ClientFactory) -> None:
    client = make_client(cache_ttl=0)
    await client.get_record_insights(RECORD_ID)
    await client.get_record_insights(RECORD_ID)
    assert len(platform.requests_to("/ai/")) == 2


async def test_errors_are_not_cached(platform: SandboxPlatform, make_client: ClientFactory) -> None:
    platform.faults.inject("/ai/*", Fault.json(404, {"errorCode": "RAH-3001", "message": "Insights not found"}))
    client = make_client()
    with pytest.raises(RingSenseError):
        await client.get_record_insights(RECORD_ID)
    assert (await client.get_record_insights(RECORD_ID)).source_record_id == RECORD_ID
    assert [r.status for r in platform.requests_to("/ai/")] == [404, 200]


async def test_concurrent_identical_misses_share_one_request(
    platform: SandboxPlatform, make_client: ClientFactory
) -> None:
    platform.faults.inject("/ai/*", Fault.delay(0.05))
    client = make_client()
    results = []

    async def get() -> None:
        results.append(await client.get_record_insights(RECORD_ID))

    with anyio.fail_after(5):
        async with anyio.create_task_group() as tasks:
            for _ in range(10):
                tasks.start_soon(get)
    assert len(results) == 10 and all(r == results[0] for r in results)
    assert len(platform.requests_to("/ai/")) == 1


async def test_concurrent_identical_misses_share_the_error(
    platform: SandboxPlatform, make_client: ClientFactory
) -> None:
    platform.faults.inject("/ai/*", Fault.delay(0.05))
    client = make_client(jwt=NO_INSIGHTS_JWT)
    errors = []

    async def get() -> None:
        try:
            await client.get_record_insights(RECORD_ID)
        except PermissionDeniedError as error:
            errors.append(error)

    async with anyio.create_task_group() as tasks:
        for _ in range(5):
            tasks.start_soon(get)
    assert len(errors) == 5
    assert len(platform.requests_to("/ai/")) == 1


async def test_a_cancelled_leader_does_not_strand_the_others(
    platform: SandboxPlatform, make_client: ClientFactory
) -> None:
    """The first caller gives up mid-request; the caller waiting on it makes its own request."""
    client = make_client()
    await client.check_permission()  # log in first, so that only the insights request is slow
    platform.faults.inject("/ai/*", Fault.delay(0.5))
    results = []

    async def leader() -> None:
        with anyio.move_on_after(0.05):
            await client.get_record_insights(RECORD_ID)

    async def follower() -> None:
        results.append(await client.get_record_insights(RECORD_ID))

    with anyio.fail_after(5):
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(leader)
            await anyio.wait_all_tasks_blocked()
            tasks.start_soon(follower)
    assert [r.source_record_id for r in results] == [RECORD_ID]


# -- the call log -----------------------------------------------------------------------------------


async def test_a_session_id_or_extension_number_narrows_the_call_log_in_one_request(
    platform: SandboxPlatform, make_client: ClientFactory
) -> None:
    client = make_client()
    by_session = await client.list_call_log(date_from=JANUARY, date_to=FEBRUARY, telephony_session_id=SESSION_ID)
    by_extension = await client.list_call_log(date_from=JANUARY, date_to=FEBRUARY, extension_number="999")

    assert [r.telephony_session_id for r in by_session.records] == [SESSION_ID]
    assert [rec.id for rec in by_session.records[0].recordings] == [RECORD_ID, SECOND_RECORD_ID]
    assert by_extension.records == []
    queries = [r.query for r in platform.requests_to("call-log")]
    assert f"telephonySessionId={SESSION_ID}" in queries[0] and "extensionNumber=999" in queries[1]


async def test_the_call_log_asks_for_recorded_calls_in_the_detailed_view(
    platform: SandboxPlatform, make_client: ClientFactory
) -> None:
    page = await make_client().list_call_log(
        date_from=JANUARY, date_to=FEBRUARY, direction="outbound", phone_number="+1 (650) 555-0100", per_page=50
    )
    (request,) = platform.requests_to("call-log")
    assert request.path == "/restapi/v1.0/account/~/call-log"
    assert request.query == (
        "view=Detailed&recordingType=All&dateFrom=2026-01-01T00:00:00.000Z&dateTo=2026-02-01T00:00:00.000Z"
        "&perPage=50&page=1&direction=Outbound&phoneNumber=16505550100"  # e.164 without "+", as the spec says
    )
    assert page.level == "account"
    assert [r.telephony_session_id for r in page.records] == ["s-pending0000000000000000000000000000", SESSION_ID]
    assert [rec.id for rec in page.records[1].recordings] == [RECORD_ID, SECOND_RECORD_ID]


async def test_datetimes_are_sent_in_utc(platform: SandboxPlatform, make_client: ClientFactory) -> None:
    pacific = timezone(timedelta(hours=-8))
    await make_client().list_call_log(
        date_from=datetime(2025, 12, 31, 16, 0, 0, 250_000, tzinfo=pacific), date_to=datetime(2026, 2, 1)
    )
    query = platform.requests_to("call-log")[0].query
    assert "dateFrom=2026-01-01T00:00:00.250Z&dateTo=2026-02-01T00:00:00.000Z" in query


async def test_the_extension_call_log_is_used_when_the_company_one_is_refused(
    platform: SandboxPlatform, make_client: ClientFactory
) -> None:
    client = make_client(jwt=OWN_LOG_JWT)
    first = await client.list_call_log(date_from=JANUARY, date_to=FEBRUARY)
    second = await client.list_call_log(date_from=JANUARY, date_to=FEBRUARY, page=2)
    paths = [(r.path, r.status) for r in platform.requests_to("call-log")]
    assert paths == [
        ("/restapi/v1.0/account/~/call-log", 403),
        ("/restapi/v1.0/account/~/extension/~/call-log", 200),
        ("/restapi/v1.0/account/~/extension/~/call-log", 200),  # remembered: no second 403
    ]
    assert first.level == second.level == "extension" == client.call_log_level
    assert [r.telephony_session_id for r in first.records] == [SESSION_ID]


async def test_the_company_call_log_is_remembered_too(platform: SandboxPlatform, make_client: ClientFactory) -> None:
    client = make_client()
    assert client.call_log_level is None
    await client.list_call_log(date_from=JANUARY, date_to=FEBRUARY)
    assert client.call_log_level == "account"


async def test_when_both_call_logs_are_refused_the_error_names_both_permissions(
    platform: SandboxPlatform, make_client: ClientFactory
) -> None:
    forbidden = {"errorCode": "CMN-408", "message": "needs [ReadCallLog]"}
    platform.faults.inject("*/call-log", Fault.json(403, forbidden), times=None)
    client = make_client()
    with pytest.raises(PermissionDeniedError) as caught:
        await client.list_call_log(date_from=JANUARY, date_to=FEBRUARY)
    assert "FullCompanyCallLog" in caught.value.message and "ReadCallLog" in caught.value.message
    assert len(platform.requests_to("call-log")) == 2
    assert client.call_log_level is None


@pytest.mark.parametrize(
    "kwargs",
    [
        {"direction": "Sideways"},
        {"view": "Full"},
        {"per_page": 0},
        {"per_page": 1001},
        {"page": 0},
        {"per_page": True},
        {"phone_number": "call me"},
        {"phone_number": "1"},
        {"phone_number": "+1650555０100"},
        {"date_from": FEBRUARY, "date_to": JANUARY},
        {"date_from": "2026-01-01"},
    ],
)
async def test_bad_call_log_arguments_are_refused_without_any_request(
    platform: SandboxPlatform, make_client: ClientFactory, kwargs: dict[str, object]
) -> None:
    arguments: dict[str, object] = {"date_from": JANUARY, "date_to": FEBRUARY, **kwargs}
    with pytest.raises(InvalidIdError):
        await make_client().list_call_log(**arguments)  # type: ignore[arg-type]
    assert platform.requests == []


# -- per-request work ---------------------------------------------------------------------------------

_imports_seen: list[str] | None = None  # filled by the audit hook below while a test listens


def _record_imports(event: str, args: tuple[object, ...]) -> None:
    if event == "import" and _imports_seen is not None:
        _imports_seen.append(str(args[0]))


async def test_a_request_over_real_http_imports_nothing(platform: SandboxPlatform, served_url: str) -> None:
    """httpcore imports sniffio inside every request; were it missing, each request would pay a failed import
    (~65 µs). Python raises the `import` audit event only for a module not imported yet, so a steady-state
    request over a real socket (httpcore, not the ASGI transport) must raise none."""
    global _imports_seen
    sys.addaudithook(_record_imports)  # hooks cannot be removed; this one is idle unless a test listens
    async with RingSenseClient(server_url=served_url, credentials=credentials()) as client:
        await client.get_record_insights(RECORD_ID)  # first use: modules loaded, connection opened, signed in
        _imports_seen = []
        try:
            await client.get_record_insights(SECOND_RECORD_ID)
            await client.check_permission()
            seen, _imports_seen = _imports_seen, None
        finally:
            _imports_seen = None
    assert seen == []


async def test_cookies_a_response_sets_are_never_kept_or_sent(platform: SandboxPlatform, served_url: str) -> None:
    """The API authenticates by bearer token alone, so the client's own HTTP client keeps no cookie (reading
    `Set-Cookie` into a jar was a measurable share of every request)."""
    platform.faults.inject(INSIGHTS_PATH.format(RECORD_ID), Fault.status(503, headers={"Set-Cookie": "lb=abc; Path=/"}))
    async with RingSenseClient(server_url=served_url, credentials=credentials()) as client:
        insights = await client.get_record_insights(RECORD_ID)  # the 503 is retried
        assert insights.source_record_id == RECORD_ID
        assert [r.status for r in platform.requests_to("/ai/")] == [503, 200]
        assert not client._pipeline._http.cookies  # the jar is what this test is about


@pytest.mark.parametrize(
    "server_url",
    [
        "http://127.0.0.1:51234",
        "https://platform.ringcentral.com/",
        "https://user:pass@proxy.example:8443/rc/",
        "http://[::1]:8080",
        "https://platform.devtest.ringcentral.com:443/prefix?x=1#f",
        "HTTPS://Platform.RingCentral.COM/a/b",
    ],
)
@pytest.mark.parametrize(
    ("path", "params"),
    [
        (INSIGHTS_PATH.format(RECORD_ID), None),
        ("/restapi/v1.0/account/~/call-log", {"dateFrom": "2026-01-01T00:00:00Z", "view": "Detailed"}),
        ("/ai/x", {"insightTypes": "Summary,Transcript", "odd": "a b&c#d/é"}),
        ("/odd#path", None),
    ],
)
async def test_request_urls_are_the_server_url_with_the_path_and_parameters(
    server_url: str, path: str, params: dict[str, str] | None
) -> None:
    async with RingSenseClient(server_url=server_url, credentials=credentials()) as client:
        pipeline = client._pipeline  # the URL builder is what this test is about
        base = httpx.URL(server_url).copy_with(query=None, fragment=None)
        raw = base.raw_path.split(b"?")[0].rstrip(b"/") + path.encode()
        if params:
            raw += b"?" + urlencode(params, quote_via=quote, safe=",:~").encode()
        try:
            expected: httpx.URL | type[Exception] = base.copy_with(raw_path=raw)
        except httpx.InvalidURL:  # a `#` in a path: refused, as ever
            expected = httpx.InvalidURL
        if not isinstance(expected, httpx.URL):
            with pytest.raises(expected):
                pipeline._url(path, params)
            return
        url = pipeline._url(path, params)
        assert (str(url), url.raw_path, url.host, url.port) == (
            str(expected),
            expected.raw_path,
            expected.host,
            expected.port,
        )

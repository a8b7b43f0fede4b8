"""The account and extension call log: permissions, filters, views, paging and navigation."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from .helpers import ACCOUNT_ID, BASE_URL, FULL_USER, LIMITED_USER, bearer, login

pytestmark = pytest.mark.anyio

COMPANY = "/restapi/v1.0/account/~/call-log"
MINE = "/restapi/v1.0/account/~/extension/~/call-log"
WIDE = {"dateFrom": "2000-01-01T00:00:00Z"}  # a window that holds every sample call


@pytest.fixture
async def full(client: httpx.AsyncClient) -> dict[str, str]:
    return bearer(await login(client, FULL_USER.jwt))


@pytest.fixture
async def limited(client: httpx.AsyncClient) -> dict[str, str]:
    return bearer(await login(client, LIMITED_USER.jwt))


def ids(response: httpx.Response) -> list[str]:
    return [record["id"] for record in response.json()["records"]]


async def test_company_call_log_defaults_to_the_last_24_hours_newest_first(
    client: httpx.AsyncClient, full: dict[str, str]
) -> None:
    response = await client.get(COMPANY, headers=full)

    assert response.status_code == 200
    assert ids(response) == ["cl-discovery", "cl-unrecorded", "cl-transfer"]


async def test_date_range_reaches_older_calls(client: httpx.AsyncClient, full: dict[str, str]) -> None:
    response = await client.get(COMPANY, params=WIDE, headers=full)

    assert ids(response)[-1] == "cl-old"


async def test_date_to_cuts_off_newer_calls(client: httpx.AsyncClient, full: dict[str, str]) -> None:
    everything = (await client.get(COMPANY, params=WIDE, headers=full)).json()["records"]
    transfer_start = next(r["startTime"] for r in everything if r["id"] == "cl-transfer")

    response = await client.get(COMPANY, params={**WIDE, "dateTo": transfer_start}, headers=full)

    assert ids(response) == ["cl-transfer", "cl-old"]


async def test_company_call_log_needs_full_company_call_log(client: httpx.AsyncClient, limited: dict[str, str]) -> None:
    response = await client.get(COMPANY, headers=limited)

    assert response.status_code == 403
    body = response.json()
    assert body["errorCode"] == "CMN-408"
    assert body["permissionName"] == "FullCompanyCallLog"
    assert body["errors"][0] == {
        "errorCode": "CMN-408",
        "message": body["message"],
        "permissionName": "FullCompanyCallLog",
    }


async def test_extension_call_log_holds_only_that_users_calls(
    client: httpx.AsyncClient, limited: dict[str, str]
) -> None:
    response = await client.get(MINE, params=WIDE, headers=limited)

    assert response.status_code == 200
    assert ids(response) == ["cl-unrecorded"]


async def test_extension_call_log_accepts_the_real_ids(client: httpx.AsyncClient, limited: dict[str, str]) -> None:
    path = f"/restapi/v1.0/account/{ACCOUNT_ID}/extension/{LIMITED_USER.extension_id}/call-log"

    response = await client.get(path, params=WIDE, headers=limited)

    assert ids(response) == ["cl-unrecorded"]


async def test_another_users_call_log_needs_company_rights(
    client: httpx.AsyncClient, full: dict[str, str], limited: dict[str, str]
) -> None:
    path = f"/restapi/v1.0/account/~/extension/{FULL_USER.extension_id}/call-log"

    denied = await client.get(path, headers=limited)
    allowed = await client.get(
        f"/restapi/v1.0/account/~/extension/{LIMITED_USER.extension_id}/call-log", params=WIDE, headers=full
    )

    assert denied.status_code == 403
    assert ids(allowed) == ["cl-unrecorded"]


async def test_simple_view_drops_legs_and_detailed_keeps_them(client: httpx.AsyncClient, full: dict[str, str]) -> None:
    simple = (await client.get(COMPANY, headers=full)).json()["records"]
    detailed = (await client.get(COMPANY, params={"view": "Detailed"}, headers=full)).json()["records"]

    assert all("legs" not in r and "lastModifiedTime" not in r for r in simple)
    assert all(r["legs"] for r in detailed)
    transfer = next(r for r in detailed if r["id"] == "cl-transfer")
    assert [leg["recording"]["id"] for leg in transfer["legs"]] == ["2001", "2002"]


@pytest.mark.parametrize(
    ("recording_type", "expected"),
    [
        ("Automatic", ["cl-discovery", "cl-old"]),
        ("OnDemand", ["cl-transfer"]),
        ("All", ["cl-discovery", "cl-transfer", "cl-old"]),
    ],
)
async def test_recording_type_keeps_calls_with_such_recordings(
    client: httpx.AsyncClient, full: dict[str, str], recording_type: str, expected: list[str]
) -> None:
    response = await client.get(COMPANY, params={**WIDE, "recordingType": recording_type}, headers=full)

    assert ids(response) == expected


async def test_direction_is_repeatable(client: httpx.AsyncClient, full: dict[str, str]) -> None:
    inbound = await client.get(COMPANY, params={"direction": "Inbound"}, headers=full)
    both = await client.get(COMPANY, params=[("direction", "Inbound"), ("direction", "Outbound")], headers=full)

    assert ids(inbound) == ["cl-unrecorded", "cl-transfer"]
    assert ids(both) == ["cl-discovery", "cl-unrecorded", "cl-transfer"]


@pytest.mark.parametrize("number", ["12125550199", "2125550199"])
async def test_phone_number_matches_either_party(client: httpx.AsyncClient, full: dict[str, str], number: str) -> None:
    response = await client.get(COMPANY, params={"phoneNumber": number}, headers=full)

    assert ids(response) == ["cl-unrecorded"]


async def test_a_phone_number_with_a_plus_matches_nothing(client: httpx.AsyncClient, full: dict[str, str]) -> None:
    response = await client.get(COMPANY, params={"phoneNumber": "+12125550199"}, headers=full)

    assert response.status_code == 200 and ids(response) == []


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"telephonySessionId": "s-transfer"}, ["cl-transfer"]),
        ({"sessionId": "sess-discovery"}, ["cl-discovery"]),
        ({"type": "Fax"}, []),
        ({"type": "Voice", "showDeleted": "true"}, ["cl-discovery", "cl-unrecorded", "cl-transfer"]),
    ],
    ids=["telephonySessionId", "sessionId", "type-fax", "type-voice-showDeleted"],
)
async def test_session_and_type_filters_narrow_the_log(
    client: httpx.AsyncClient, full: dict[str, str], params: dict[str, str], expected: list[str]
) -> None:
    response = await client.get(COMPANY, params=params, headers=full)

    assert ids(response) == expected


async def test_paging_and_navigation_use_absolute_uris_from_the_request_base(
    client: httpx.AsyncClient, full: dict[str, str]
) -> None:
    response = await client.get(COMPANY, params={**WIDE, "perPage": "2", "page": "2"}, headers=full)
    middle = (await client.get(COMPANY, params={**WIDE, "perPage": "1", "page": "2"}, headers=full)).json()

    body = response.json()
    assert ids(response) == ["cl-transfer", "cl-old"]
    assert body["paging"] == {
        "page": 2,
        "perPage": 2,
        "pageStart": 2,
        "pageEnd": 3,
        "totalPages": 2,
        "totalElements": 4,
    }
    nav = body["navigation"]
    assert set(nav) == {"firstPage", "previousPage", "lastPage"}
    for name, page in [("firstPage", "1"), ("previousPage", "1"), ("lastPage", "2")]:
        parts = urlsplit(nav[name]["uri"])
        assert f"{parts.scheme}://{parts.netloc}" == BASE_URL
        assert parts.path == COMPANY
        query = parse_qs(parts.query)
        assert query["page"] == [page]
        assert query["perPage"] == ["2"]
        assert query["dateFrom"] == [WIDE["dateFrom"]]
    assert parse_qs(urlsplit(body["uri"]).query)["page"] == ["2"]
    assert set(middle["navigation"]) == {"firstPage", "nextPage", "previousPage", "lastPage"}
    assert parse_qs(urlsplit(middle["navigation"]["nextPage"]["uri"]).query)["page"] == ["3"]


async def test_following_next_page_walks_every_record_once(client: httpx.AsyncClient, full: dict[str, str]) -> None:
    seen: list[str] = []
    url: str | None = COMPANY + "?perPage=2&dateFrom=2000-01-01T00:00:00Z"
    while url:
        body = (await client.get(url, headers=full)).json()
        seen += [r["id"] for r in body["records"]]
        url = body["navigation"].get("nextPage", {}).get("uri")

    assert seen == ["cl-discovery", "cl-unrecorded", "cl-transfer", "cl-old"]


async def test_first_page_has_no_previous_and_last_page_no_next(
    client: httpx.AsyncClient, full: dict[str, str]
) -> None:
    first = (await client.get(COMPANY, params={**WIDE, "perPage": "2"}, headers=full)).json()["navigation"]
    last = (await client.get(COMPANY, params={**WIDE, "perPage": "2", "page": "2"}, headers=full)).json()["navigation"]

    assert "previousPage" not in first and "nextPage" in first
    assert "nextPage" not in last and "previousPage" in last


async def test_page_past_the_end_is_empty_without_an_element_range(
    client: httpx.AsyncClient, full: dict[str, str]
) -> None:
    response = await client.get(COMPANY, params={"page": "9"}, headers=full)

    assert response.status_code == 200
    body = response.json()
    assert body["records"] == []
    assert body["paging"] == {"page": 9, "perPage": 100, "totalPages": 1, "totalElements": 3}


async def test_per_page_max_means_1000(client: httpx.AsyncClient, full: dict[str, str]) -> None:
    response = await client.get(COMPANY, params={"perPage": "max"}, headers=full)

    assert response.json()["paging"]["perPage"] == 1000


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("perPage", "0"),
        ("perPage", "1001"),
        ("perPage", "ten"),
        ("page", "0"),
        ("page", "x"),
        ("dateFrom", "yesterday"),
        ("dateTo", "2024-13-45"),
        ("view", "Full"),
        ("recordingType", "Manual"),
        ("direction", "Sideways"),
    ],
)
async def test_bad_query_values_are_400_cmn_101_naming_the_parameter(
    client: httpx.AsyncClient, full: dict[str, str], name: str, value: str
) -> None:
    response = await client.get(COMPANY, params={name: value}, headers=full)

    assert response.status_code == 400
    body = response.json()
    assert body["errorCode"] == "CMN-101"
    assert body["errors"][0]["parameterName"] == name


async def test_date_from_after_date_to_is_400(client: httpx.AsyncClient, full: dict[str, str]) -> None:
    response = await client.get(
        COMPANY, params={"dateFrom": "2025-02-01T00:00:00Z", "dateTo": "2025-01-01T00:00:00Z"}, headers=full
    )

    assert response.status_code == 400


async def test_call_log_is_in_the_heavy_group(client: httpx.AsyncClient, full: dict[str, str]) -> None:
    response = await client.get(COMPANY, headers=full)

    assert response.headers["x-rate-limit-group"] == "heavy"
    assert response.headers["x-rate-limit-limit"] == "10"

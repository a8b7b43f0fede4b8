"""The permission check and the RingSense insight endpoints."""

from __future__ import annotations

import httpx
import pytest

from .helpers import ACCOUNT_ID, BASE_URL, FULL_USER, LIMITED_USER, bearer, login

pytestmark = pytest.mark.anyio

RECORDS = "/ai/ringsense/v1/public/accounts/{account}/domains/{domain}/records/{id}/insights"
SESSIONS = "/ai/ringsense/v1/public/accounts/{account}/domains/{domain}/sessions/{id}/insights"
CHECK = "/restapi/v1.0/account/{account}/extension/{extension}/authz-profile/check"


def record_path(record_id: str, domain: str = "pbx", account: str = "~") -> str:
    return RECORDS.format(account=account, domain=domain, id=record_id)


def session_path(session_id: str, domain: str = "pbx", account: str = "~") -> str:
    return SESSIONS.format(account=account, domain=domain, id=session_id)


@pytest.fixture
async def full(client: httpx.AsyncClient) -> dict[str, str]:
    return bearer(await login(client, FULL_USER.jwt))


@pytest.fixture
async def limited(client: httpx.AsyncClient) -> dict[str, str]:
    return bearer(await login(client, LIMITED_USER.jwt))


# -- permission check --------------------------------------------------------------------------------------


async def test_permission_check_for_a_licensed_user_is_successful_with_details(
    client: httpx.AsyncClient, full: dict[str, str]
) -> None:
    response = await client.get(
        CHECK.format(account="~", extension="~"), params={"permissionId": "ReadRingSenseInsights"}, headers=full
    )

    assert response.status_code == 200
    body = response.json()
    assert body["successful"] is True
    assert body["uri"] == (
        f"{BASE_URL}/restapi/v1.0/account/{ACCOUNT_ID}/extension/{FULL_USER.extension_id}/authz-profile/check"
        f"?permissionId=ReadRingSenseInsights&targetExtensionId={FULL_USER.extension_id}"
    )
    assert body["details"]["permission"]["id"] == "ReadRingSenseInsights"
    assert body["details"]["permission"]["siteCompatible"] == "Independent"
    assert body["details"]["effectiveRole"]["id"]
    assert body["details"]["scopes"] == ["AllExtensions"]


async def test_permission_check_for_a_user_without_the_permission_is_200_unsuccessful(
    client: httpx.AsyncClient, limited: dict[str, str]
) -> None:
    response = await client.get(
        CHECK.format(account=ACCOUNT_ID, extension=LIMITED_USER.extension_id),
        params={"permissionId": "ReadRingSenseInsights"},
        headers=limited,
    )

    assert response.status_code == 200
    body = response.json()
    assert body == {"uri": body["uri"], "successful": False}
    assert f"targetExtensionId={LIMITED_USER.extension_id}" in body["uri"]


async def test_permission_check_echoes_a_given_target_extension(
    client: httpx.AsyncClient, full: dict[str, str]
) -> None:
    response = await client.get(
        CHECK.format(account="~", extension="~"),
        params={"permissionId": "ReadRingSenseInsights", "targetExtensionId": "999"},
        headers=full,
    )

    assert response.json()["uri"].endswith("targetExtensionId=999")


async def test_permission_check_without_permission_id_is_400(client: httpx.AsyncClient, full: dict[str, str]) -> None:
    response = await client.get(CHECK.format(account="~", extension="~"), headers=full)

    assert response.status_code == 400
    assert response.json()["errors"][0]["parameterName"] == "permissionId"


@pytest.mark.parametrize(
    ("account", "extension", "status", "parameter"),
    [("123", "~", 404, "accountId"), ("~", "555", 404, "extensionId")],
)
async def test_permission_check_on_an_unknown_account_or_extension_is_404(
    client: httpx.AsyncClient, full: dict[str, str], account: str, extension: str, status: int, parameter: str
) -> None:
    response = await client.get(
        CHECK.format(account=account, extension=extension), params={"permissionId": "ReadCallLog"}, headers=full
    )

    assert response.status_code == status
    body = response.json()
    assert body["errorCode"] == "CMN-102"
    assert body["errors"][0]["parameterName"] == parameter


# -- record insights ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("account", ["~", ACCOUNT_ID])
async def test_record_insights_return_the_whole_body(
    client: httpx.AsyncClient, full: dict[str, str], account: str
) -> None:
    response = await client.get(record_path("1001", account=account), headers=full)

    assert response.status_code == 200
    body = response.json()
    assert body["sourceRecordId"] == "1001"
    assert body["sourceSessionId"] == "s-discovery"
    assert set(body["insights"]) == {"Transcript", "Summary", "HighLights", "NextSteps", "AIScore", "Sentiment", "QnA"}


async def test_insight_types_filter_keeps_only_those_keys(client: httpx.AsyncClient, full: dict[str, str]) -> None:
    response = await client.get(record_path("1001"), params={"insightTypes": "Transcript,Summary"}, headers=full)

    assert set(response.json()["insights"]) == {"Transcript", "Summary"}


async def test_highlights_filter_returns_the_data_under_the_key_the_data_uses(
    client: httpx.AsyncClient, full: dict[str, str]
) -> None:
    response = await client.get(record_path("1001"), params={"insightTypes": "Highlights"}, headers=full)

    assert response.json()["insights"] == {
        "HighLights": [{"speakerId": "p-1", "value": "Budget confirmed.", "start": 0.5, "end": 1.5}]
    }


async def test_insight_types_given_as_repeated_parameters_are_also_accepted(
    client: httpx.AsyncClient, full: dict[str, str]
) -> None:
    response = await client.get(
        record_path("1001"), params=[("insightTypes", "AIScore"), ("insightTypes", "Sentiment")], headers=full
    )

    assert set(response.json()["insights"]) == {"AIScore", "Sentiment"}


async def test_type_filter_on_a_type_the_recording_lacks_gives_empty_insights(
    client: httpx.AsyncClient, full: dict[str, str]
) -> None:
    response = await client.get(record_path("1001"), params={"insightTypes": "CallNotes"}, headers=full)

    assert response.status_code == 200
    assert response.json()["insights"] == {}


@pytest.mark.parametrize("value", ["Transcripts", "HighLights", "QnA", "transcript"])
async def test_unknown_insight_type_is_400_naming_the_parameter(
    client: httpx.AsyncClient, full: dict[str, str], value: str
) -> None:
    response = await client.get(record_path("1001"), params={"insightTypes": f"Summary,{value}"}, headers=full)

    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["parameterName"] == "insightTypes"
    assert error["parameterValue"] == value


@pytest.mark.parametrize("domain", ["pbx", "rcv", "rcx", "nice-incontact", "ms-teams"])
async def test_every_documented_domain_is_routed(client: httpx.AsyncClient, full: dict[str, str], domain: str) -> None:
    response = await client.get(record_path("m-555", domain=domain), headers=full)

    assert response.status_code == (200 if domain == "rcv" else 404)


async def test_unknown_domain_is_400_naming_the_parameter(client: httpx.AsyncClient, full: dict[str, str]) -> None:
    response = await client.get(record_path("1001", domain="zoom"), headers=full)

    assert response.status_code == 400
    body = response.json()
    assert body["errors"][0]["parameterName"] == "domain"
    assert body["errorCode"] == body["errors"][0]["errorCode"]


@pytest.mark.parametrize("record_id", ["9999", "2002", "4001"], ids=["unknown", "not-ready", "old-not-ready"])
async def test_unknown_or_unanalysed_recording_is_404_rah_3001(
    client: httpx.AsyncClient, full: dict[str, str], record_id: str
) -> None:
    response = await client.get(record_path(record_id), headers=full)

    assert response.status_code == 404
    assert response.json() == {
        "errorCode": "RAH-3001",
        "message": "Insights not found",
        "errors": [{"errorCode": "RAH-3001", "message": "Insights not found"}],
    }


async def test_recording_of_another_domain_is_not_found(client: httpx.AsyncClient, full: dict[str, str]) -> None:
    response = await client.get(record_path("1001", domain="rcv"), headers=full)

    assert response.status_code == 404


async def test_user_without_insights_permission_is_403_rah_3005(
    client: httpx.AsyncClient, limited: dict[str, str]
) -> None:
    response = await client.get(record_path("1001"), headers=limited)

    assert response.status_code == 403
    body = response.json()
    assert body["errorCode"] == "RAH-3005"
    assert body["errors"][0]["errorCode"] == "RAH-3005"


async def test_insights_of_another_account_are_404(client: httpx.AsyncClient, full: dict[str, str]) -> None:
    response = await client.get(record_path("1001", account="111"), headers=full)

    assert response.status_code == 404
    assert response.json()["errors"][0]["parameterName"] == "accountId"


# -- session insights --------------------------------------------------------------------------------------


async def test_session_insights_list_every_analysed_recording_with_paging(
    client: httpx.AsyncClient, full: dict[str, str]
) -> None:
    response = await client.get(session_path("s-transfer"), headers=full)

    assert response.status_code == 200
    body = response.json()
    assert [r["sourceRecordId"] for r in body["records"]] == ["2001"]
    assert body["paging"] == {
        "page": 1,
        "perPage": 1,
        "pageStart": 0,
        "pageEnd": 0,
        "totalPages": 1,
        "totalElements": 1,
        "sortableFields": [],
    }


async def test_session_insights_apply_the_type_filter_to_each_record(
    client: httpx.AsyncClient, full: dict[str, str]
) -> None:
    response = await client.get(session_path("s-discovery"), params={"insightTypes": "NextSteps"}, headers=full)

    assert [set(r["insights"]) for r in response.json()["records"]] == [{"NextSteps"}]


@pytest.mark.parametrize("session_id", ["s-nothing", "s-old", "s-unrec"])
async def test_session_without_analysed_recordings_is_404_rah_3001(
    client: httpx.AsyncClient, full: dict[str, str], session_id: str
) -> None:
    response = await client.get(session_path(session_id), headers=full)

    assert response.status_code == 404
    assert response.json()["errors"][0]["errorCode"] == "RAH-3001"


async def test_session_insights_need_the_insights_permission(
    client: httpx.AsyncClient, limited: dict[str, str]
) -> None:
    response = await client.get(session_path("s-discovery"), headers=limited)

    assert response.status_code == 403
    assert response.json()["errorCode"] == "RAH-3005"


async def test_session_ids_with_reserved_characters_are_matched_after_decoding(
    client: httpx.AsyncClient, full: dict[str, str]
) -> None:
    response = await client.get(session_path("m-555", domain="rcv").replace("m-555", "m%2D555"), headers=full)

    assert response.status_code == 200

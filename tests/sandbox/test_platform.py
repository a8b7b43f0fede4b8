"""The platform as a whole: routing, request ids, bearer authentication, the request log, serving."""

from __future__ import annotations

import re

import anyio
import httpx
import pytest

import server.sandbox as sandbox
from server.sandbox import SANDBOX_CLIENT_SECRET, Fault, LoggedRequest, SandboxPlatform, serve_sandbox

from .helpers import FULL_USER, JWT_GRANT, LIMITED_USER, basic_auth, bearer, login, request_token

pytestmark = pytest.mark.anyio

INSIGHTS = "/ai/ringsense/v1/public/accounts/~/domains/pbx/records/1001/insights"
CHECK = "/restapi/v1.0/account/~/extension/~/authz-profile/check"
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def test_public_surface_is_exactly_the_documented_names() -> None:
    assert sorted(sandbox.__all__) == sorted(
        [
            "SANDBOX_CLIENT_ID",
            "SANDBOX_CLIENT_SECRET",
            "Fault",
            "FaultInjector",
            "LoggedRequest",
            "SandboxPlatform",
            "create_sandbox_app",
            "run_sandbox",
            "serve_sandbox",
        ]
    )


# -- routing -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/restapi/v1.0/ai/ringsense/insights/1001",  # the wrong path users tried (reference §8.2)
        "/ai/ringsense/v1/public/accounts/~/domains/pbx/records/1001",
        INSIGHTS + "/",
        "/restapi/v1.0/account/~/recording/1001",
    ],
)
async def test_unknown_paths_are_agw_404(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)

    assert response.status_code == 404
    assert response.json() == {"errorCode": "AGW-404", "message": "Resource not found", "errors": []}
    assert UUID.match(response.headers["rcrequestid"])


async def test_wrong_method_on_a_known_path_is_405_with_allow(client: httpx.AsyncClient) -> None:
    token = await login(client)

    get_token = await client.get("/restapi/oauth/token")
    post_insights = await client.post(INSIGHTS, headers=bearer(token))

    assert get_token.status_code == 405
    assert get_token.headers["allow"] == "POST"
    assert post_insights.status_code == 405
    assert "GET" in post_insights.headers["allow"]
    assert post_insights.json()["errors"][0]["errorCode"]


async def test_every_response_has_its_own_request_id(client: httpx.AsyncClient) -> None:
    token = await login(client)

    ids = {(await client.get(INSIGHTS, headers=bearer(token))).headers["rcrequestid"] for _ in range(3)}

    assert len(ids) == 3
    assert all(UUID.match(i) for i in ids)


# -- bearer authentication ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [INSIGHTS, CHECK + "?permissionId=ReadCallLog", "/restapi/v1.0/account/~/call-log"])
async def test_api_requests_without_a_token_are_401(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)

    assert response.status_code == 401
    body = response.json()
    assert body["errorCode"] == body["errors"][0]["errorCode"]
    assert "x-rate-limit-group" not in response.headers


@pytest.mark.parametrize("authorization", ["Bearer made-up", "Basic abc", "Bearer"])
async def test_unknown_or_malformed_tokens_are_401_oau_149(client: httpx.AsyncClient, authorization: str) -> None:
    response = await client.get(INSIGHTS, headers={"Authorization": authorization})

    assert response.status_code == 401
    assert response.json() == {
        "errorCode": "OAU-149",
        "message": "Unparsable access token",
        "errors": [{"errorCode": "OAU-149", "message": "Unparsable access token"}],
    }


async def test_revoked_token_is_401(client: httpx.AsyncClient) -> None:
    token = await login(client)
    await client.post("/restapi/oauth/revoke", data={"token": token["access_token"]}, headers=basic_auth())

    response = await client.get(INSIGHTS, headers=bearer(token))

    assert response.status_code == 401
    assert response.json()["errors"][0]["errorCode"] == "OAU-213"


# -- the request log ---------------------------------------------------------------------------------------


async def test_request_log_records_every_request_in_order(client: httpx.AsyncClient, platform: SandboxPlatform) -> None:
    token = await login(client)
    await client.get(INSIGHTS, params={"insightTypes": "Summary,Transcript"}, headers=bearer(token))
    await client.get("/nowhere")
    await client.get(INSIGHTS)

    assert platform.requests == [
        LoggedRequest("POST", "/restapi/oauth/token", "", JWT_GRANT, 200, FULL_USER.extension_id),
        LoggedRequest("GET", INSIGHTS, "insightTypes=Summary%2CTranscript", None, 200, FULL_USER.extension_id),
        LoggedRequest("GET", "/nowhere", "", None, 404, None),
        LoggedRequest("GET", INSIGHTS, "", None, 401, None),
    ]


async def test_request_log_never_holds_a_secret(client: httpx.AsyncClient, platform: SandboxPlatform) -> None:
    token = await login(client)
    refreshed = (await request_token(client, grant_type="refresh_token", refresh_token=token["refresh_token"])).json()
    await client.get(INSIGHTS, params={"access_token": refreshed["access_token"]}, headers=bearer(refreshed))
    await client.post("/restapi/oauth/revoke", data={"token": refreshed["access_token"]}, headers=basic_auth())

    logged = repr(platform.requests)
    for secret in (FULL_USER.jwt, SANDBOX_CLIENT_SECRET, token["access_token"], token["refresh_token"]):
        assert secret not in logged
    assert refreshed["access_token"] not in logged
    assert platform.requests[2].query == "access_token=REDACTED"


async def test_token_requests_are_filtered_by_grant_type_and_name_the_user(
    client: httpx.AsyncClient, platform: SandboxPlatform
) -> None:
    token = await login(client, LIMITED_USER.jwt)
    await request_token(client, grant_type="refresh_token", refresh_token=token["refresh_token"])
    await request_token(client, grant_type=JWT_GRANT, assertion="unknown")

    jwt_requests = platform.token_requests(JWT_GRANT)
    refresh_requests = platform.token_requests("refresh_token")

    assert [(r.status, r.user) for r in jwt_requests] == [(200, LIMITED_USER.extension_id), (400, None)]
    assert [(r.status, r.user) for r in refresh_requests] == [(200, LIMITED_USER.extension_id)]
    assert len(platform.token_requests()) == 3


async def test_requests_to_matches_a_path_fragment_and_clear_empties_the_log(
    client: httpx.AsyncClient, platform: SandboxPlatform
) -> None:
    token = await login(client)
    await client.get(INSIGHTS, headers=bearer(token))
    await client.get(CHECK, params={"permissionId": "ReadCallLog"}, headers=bearer(token))

    assert [r.path for r in platform.requests_to("/insights")] == [INSIGHTS]
    assert len(platform.requests_to("/restapi/")) == 2
    platform.clear_requests()
    assert platform.requests == []


async def test_faulted_requests_are_logged_with_the_status_sent(
    client: httpx.AsyncClient, platform: SandboxPlatform
) -> None:
    token = await login(client)
    platform.faults.inject("/restapi/oauth/token", Fault.status(503))
    await request_token(client, grant_type="refresh_token", refresh_token=token["refresh_token"])

    assert platform.token_requests("refresh_token") == [
        LoggedRequest("POST", "/restapi/oauth/token", "", "refresh_token", 503, FULL_USER.extension_id)
    ]


# -- serving -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "example.com", "::"])  # noqa: S104 - refused hosts
async def test_serve_sandbox_refuses_non_loopback_hosts(platform: SandboxPlatform, host: str) -> None:
    with pytest.raises(ValueError, match="loopback"):
        async with serve_sandbox(platform, host=host):
            pass


async def test_serve_sandbox_answers_over_real_http_on_an_ephemeral_port(platform: SandboxPlatform) -> None:
    with anyio.fail_after(15):
        async with serve_sandbox(platform) as base_url, httpx.AsyncClient(base_url=base_url) as http:
            assert re.match(r"^http://127\.0\.0\.1:\d+$", base_url)
            token = await login(http)
            response = await http.get(INSIGHTS, params={"insightTypes": "Summary"}, headers=bearer(token))

    assert response.status_code == 200
    assert list(response.json()["insights"]) == ["Summary"]
    assert response.headers["x-rate-limit-group"] == "light"
    assert UUID.match(response.headers["rcrequestid"])
    assert [r.status for r in platform.requests] == [200, 200]


async def test_navigation_uris_point_at_the_served_base_url(platform: SandboxPlatform) -> None:
    with anyio.fail_after(15):
        async with serve_sandbox(platform, host="localhost") as base_url, httpx.AsyncClient(base_url=base_url) as http:
            token = await login(http)
            body = (await http.get("/restapi/v1.0/account/~/call-log", headers=bearer(token))).json()

    assert body["navigation"]["firstPage"]["uri"].startswith(f"{base_url}/restapi/v1.0/account/~/call-log?")
    assert body["uri"].startswith(base_url)

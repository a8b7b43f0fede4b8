"""The OAuth endpoints: JWT bearer grant, refresh, revoke, client authentication."""

from __future__ import annotations

import httpx
import pytest

from server.sandbox import SandboxPlatform

from .helpers import (
    FULL_USER,
    JWT_GRANT,
    LIMITED_USER,
    FakeClock,
    basic_auth,
    bearer,
    login,
    request_token,
)

pytestmark = pytest.mark.anyio

CHECK = "/restapi/v1.0/account/~/extension/~/authz-profile/check?permissionId=ReadRingSenseInsights"


async def test_jwt_grant_returns_token_info_for_the_jwt_owner(client: httpx.AsyncClient) -> None:
    response = await request_token(client, grant_type=JWT_GRANT, assertion=FULL_USER.jwt)

    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    token = response.json()
    assert token["token_type"] == "bearer"
    assert token["expires_in"] == 3600
    assert token["refresh_token_expires_in"] == 604800
    assert set(token["scope"].split()) >= {"ReadAccounts", "ReadCallLog", "RingSense"}
    assert token["owner_id"] == FULL_USER.extension_id
    assert token["endpoint_id"] and token["session_id"]
    assert token["access_token"] != token["refresh_token"]
    assert FULL_USER.jwt not in token["access_token"]


async def test_access_token_works_on_the_api(client: httpx.AsyncClient) -> None:
    token = await login(client)

    response = await client.get(CHECK, headers=bearer(token))

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("requested", "granted"),
    [("900", 900), ("100", 600), ("7200", 3600), ("", 3600)],
    ids=["inside", "low", "high", "blank"],
)
async def test_requested_access_token_ttl_is_honoured_within_documented_bounds(
    client: httpx.AsyncClient, requested: str, granted: int
) -> None:
    response = await request_token(client, grant_type=JWT_GRANT, assertion=FULL_USER.jwt, access_token_ttl=requested)

    assert response.json()["expires_in"] == granted


async def test_requested_refresh_token_ttl_cannot_exceed_the_platform_maximum(client: httpx.AsyncClient) -> None:
    short = await request_token(client, grant_type=JWT_GRANT, assertion=FULL_USER.jwt, refresh_token_ttl="3600")
    long = await request_token(client, grant_type=JWT_GRANT, assertion=FULL_USER.jwt, refresh_token_ttl="9999999")

    assert short.json()["refresh_token_expires_in"] == 3600
    assert long.json()["refresh_token_expires_in"] == 604800


async def test_non_numeric_ttl_is_an_invalid_request(client: httpx.AsyncClient) -> None:
    response = await request_token(client, grant_type=JWT_GRANT, assertion=FULL_USER.jwt, access_token_ttl="soon")

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


@pytest.mark.parametrize(
    "headers",
    [{}, basic_auth(secret="wrong"), basic_auth(client_id="someone-else"), {"Authorization": "Basic !!notbase64"}],
    ids=["missing", "wrong-secret", "unknown-client", "garbled"],
)
async def test_bad_client_credentials_are_401_invalid_client(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await client.post(
        "/restapi/oauth/token", data={"grant_type": JWT_GRANT, "assertion": FULL_USER.jwt}, headers=headers
    )

    assert response.status_code == 401
    body = response.json()
    assert body["error"] == "invalid_client"
    assert body["errors"][0]["errorCode"] == "OAU-153"
    assert body["error_description"].startswith("Invalid client")
    assert "wrong" not in response.text


async def test_unknown_jwt_is_400_invalid_grant(client: httpx.AsyncClient) -> None:
    response = await request_token(client, grant_type=JWT_GRANT, assertion="not-a-known-jwt")

    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid_grant"
    assert body["errors"][0]["errorCode"].startswith("OAU-")
    assert "not-a-known-jwt" not in response.text


async def test_rejected_jwt_is_400_invalid_grant_while_other_users_still_log_in(
    client: httpx.AsyncClient, platform: SandboxPlatform
) -> None:
    platform.reject_jwt(FULL_USER.jwt)

    rejected = await request_token(client, grant_type=JWT_GRANT, assertion=FULL_USER.jwt)
    other = await request_token(client, grant_type=JWT_GRANT, assertion=LIMITED_USER.jwt)

    assert rejected.status_code == 400
    assert rejected.json()["error"] == "invalid_grant"
    assert other.status_code == 200


async def test_missing_assertion_is_an_invalid_request(client: httpx.AsyncClient) -> None:
    response = await request_token(client, grant_type=JWT_GRANT)

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


@pytest.mark.parametrize("grant_type", ["password", "client_credentials", "authorization_code"])
async def test_other_grant_types_are_unsupported(client: httpx.AsyncClient, grant_type: str) -> None:
    response = await request_token(client, grant_type=grant_type)

    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"


async def test_json_body_on_the_token_endpoint_is_415(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/restapi/oauth/token", json={"grant_type": JWT_GRANT, "assertion": FULL_USER.jwt}, headers=basic_auth()
    )

    assert response.status_code == 415


async def test_repeated_form_parameter_is_rejected(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/restapi/oauth/token",
        content=f"grant_type={JWT_GRANT}&assertion=a&assertion=b",
        headers={**basic_auth(), "Content-Type": "application/x-www-form-urlencoded"},
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["errorCode"] == "OAU-111"


async def test_refresh_issues_a_new_pair_and_invalidates_the_old_access_token(client: httpx.AsyncClient) -> None:
    first = await login(client)

    response = await request_token(client, grant_type="refresh_token", refresh_token=first["refresh_token"])

    assert response.status_code == 200
    second = response.json()
    assert second["access_token"] != first["access_token"]
    assert second["refresh_token"] != first["refresh_token"]
    assert second["session_id"] == first["session_id"]
    assert (await client.get(CHECK, headers=bearer(second))).status_code == 200
    old = await client.get(CHECK, headers=bearer(first))
    assert old.status_code == 401
    assert old.json()["errors"][0]["errorCode"] == "OAU-213"


@pytest.mark.parametrize(
    ("new_token_used", "seconds_later", "accepted"),
    [(False, 3599, True), (False, 3601, False), (True, 9, True), (True, 11, False)],
    ids=["unused-within-60-min", "unused-after-60-min", "used-within-10-s", "used-after-10-s"],
)
async def test_a_used_refresh_token_answers_the_same_pair_only_during_its_grace_period(
    client: httpx.AsyncClient, clock: FakeClock, new_token_used: bool, seconds_later: float, accepted: bool
) -> None:
    first = await login(client)
    pair = (await request_token(client, grant_type="refresh_token", refresh_token=first["refresh_token"])).json()
    if new_token_used:
        assert (await client.get(CHECK, headers=bearer(pair))).status_code == 200
    clock.advance(seconds_later)

    again = await request_token(client, grant_type="refresh_token", refresh_token=first["refresh_token"])

    if accepted:
        assert again.status_code == 200
        assert again.json()["access_token"] == pair["access_token"]
        assert again.json()["refresh_token"] == pair["refresh_token"]
    else:
        assert again.status_code == 400
        assert again.json()["error"] == "invalid_grant"
        assert again.json()["errors"][0]["errorCode"] == "OAU-211"


async def test_expired_refresh_token_is_invalid_grant(client: httpx.AsyncClient, clock: FakeClock) -> None:
    token = await login(client)
    clock.advance(604800)

    response = await request_token(client, grant_type="refresh_token", refresh_token=token["refresh_token"])

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


async def test_revoked_refresh_tokens_are_invalid_grant(client: httpx.AsyncClient, platform: SandboxPlatform) -> None:
    token = await login(client)
    platform.revoke_refresh_tokens()

    response = await request_token(client, grant_type="refresh_token", refresh_token=token["refresh_token"])

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert (await client.get(CHECK, headers=bearer(token))).status_code == 200


async def test_unknown_refresh_token_is_invalid_grant(client: httpx.AsyncClient) -> None:
    response = await request_token(client, grant_type="refresh_token", refresh_token="made-up")

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


async def test_expired_access_token_is_401_oau_128_until_refreshed(
    client: httpx.AsyncClient, platform: SandboxPlatform
) -> None:
    token = await login(client)
    platform.expire_access_tokens()

    expired = await client.get(CHECK, headers=bearer(token))
    refreshed = await request_token(client, grant_type="refresh_token", refresh_token=token["refresh_token"])

    assert expired.status_code == 401
    body = expired.json()
    assert body["errorCode"] == "OAU-128"
    assert body["message"] == "Access token expired"
    assert body["errors"] == [{"errorCode": "OAU-128", "message": "Access token expired"}]
    assert (await client.get(CHECK, headers=bearer(refreshed.json()))).status_code == 200


async def test_access_token_expires_after_its_ttl(client: httpx.AsyncClient, clock: FakeClock) -> None:
    token = await login(client)
    clock.advance(3599)
    assert (await client.get(CHECK, headers=bearer(token))).status_code == 200

    clock.advance(1)

    assert (await client.get(CHECK, headers=bearer(token))).json()["errorCode"] == "OAU-128"


async def test_revoke_kills_the_whole_session(client: httpx.AsyncClient) -> None:
    token = await login(client)

    response = await client.post("/restapi/oauth/revoke", data={"token": token["access_token"]}, headers=basic_auth())

    assert response.status_code == 200
    assert (await client.get(CHECK, headers=bearer(token))).status_code == 401
    refresh = await request_token(client, grant_type="refresh_token", refresh_token=token["refresh_token"])
    assert refresh.json()["error"] == "invalid_grant"


async def test_revoke_accepts_the_token_in_the_query_string(client: httpx.AsyncClient) -> None:
    token = await login(client)

    response = await client.post("/restapi/oauth/revoke", params={"token": token["access_token"]}, headers=basic_auth())

    assert response.status_code == 200
    assert (await client.get(CHECK, headers=bearer(token))).status_code == 401


async def test_revoke_by_refresh_token_also_kills_the_access_token(client: httpx.AsyncClient) -> None:
    token = await login(client)

    await client.post("/restapi/oauth/revoke", data={"token": token["refresh_token"]}, headers=basic_auth())

    assert (await client.get(CHECK, headers=bearer(token))).status_code == 401


async def test_revoke_leaves_other_sessions_alone(client: httpx.AsyncClient) -> None:
    first, second = await login(client), await login(client)

    await client.post("/restapi/oauth/revoke", data={"token": first["access_token"]}, headers=basic_auth())

    assert (await client.get(CHECK, headers=bearer(second))).status_code == 200


async def test_revoke_needs_client_authentication(client: httpx.AsyncClient) -> None:
    token = await login(client)

    response = await client.post("/restapi/oauth/revoke", data={"token": token["access_token"]})

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert (await client.get(CHECK, headers=bearer(token))).status_code == 200


async def test_revoking_an_unknown_token_still_answers_200(client: httpx.AsyncClient) -> None:
    response = await client.post("/restapi/oauth/revoke", data={"token": "never-issued"}, headers=basic_auth())

    assert response.status_code == 200

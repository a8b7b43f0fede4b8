"""No message, str, repr or log line ever contains a token, a client secret or a JWT."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import httpx
import pytest

from server.ringsense import AccessTokenCredentials, RetryPolicy, RingSenseError
from server.sandbox import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, Fault, SandboxPlatform

from .conftest import FULL_JWT, NO_INSIGHTS_JWT, OWN_LOG_JWT, PENDING_RECORD_ID, RECORD_ID, ClientFactory, credentials

pytestmark = pytest.mark.anyio

WRONG_SECRET = "canary-wrong-client-secret-3e9f1a"


class TokenCollector:
    """An httpx response hook that remembers every token the platform issued (to look for them later)."""

    def __init__(self) -> None:
        self.tokens: set[str] = set()

    async def __call__(self, response: httpx.Response) -> None:
        if response.request.url.path == "/restapi/oauth/token" and response.is_success:
            body = (await response.aread()) and response.json()
            self.tokens.update(v for k, v in body.items() if k in {"access_token", "refresh_token"})


def assert_clean(texts: list[str], secrets: set[str]) -> None:
    assert secrets, "the test must know what to look for"
    for text in texts:
        for secret in secrets:
            assert secret not in text, f"a secret leaked into: {text[:200]}"


async def test_no_error_path_reveals_a_secret(
    platform: SandboxPlatform, make_client: ClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    collector = TokenCollector()
    hooks = {"response": [collector]}
    errors: list[BaseException] = []

    async def expect_error(call) -> None:
        try:
            await call()
        except RingSenseError as error:
            errors.append(error)
        else:
            pytest.fail("an error was expected")

    fast = RetryPolicy.no_retry()
    client = make_client(event_hooks=hooks, retry=fast)
    await client.check_permission()
    # The platform echoes a credential back in an error body: it must be scrubbed.
    echoed = {"errorCode": "CMN-500", "message": f"boom for {FULL_JWT} / {SANDBOX_CLIENT_SECRET}"}
    platform.faults.inject("/ai/*", Fault.json(500, echoed))
    await expect_error(lambda: client.get_record_insights(RECORD_ID))
    echo_token = {"error": "invalid_request", "error_description": f"tokens: {' '.join(collector.tokens)}"}
    platform.faults.inject("/ai/*", Fault.json(400, echo_token))
    await expect_error(lambda: client.get_record_insights(RECORD_ID))
    await expect_error(lambda: client.get_record_insights(PENDING_RECORD_ID))  # 404
    for fault in (
        Fault.status(429, headers={"Retry-After": "99"}),
        Fault.status(503),
        Fault.malformed_json(),
        Fault.html_error(502),
        Fault.drop_connection(),
    ):
        platform.faults.inject("/restapi/v1.0/*", fault)
        await expect_error(client.check_permission)
    platform.expire_access_tokens()
    platform.revoke_refresh_tokens()
    platform.reject_jwt(FULL_JWT)
    await expect_error(client.check_permission)  # refresh refused, then the JWT refused

    await expect_error(lambda: make_client(jwt=NO_INSIGHTS_JWT, event_hooks=hooks).get_record_insights(RECORD_ID))
    own_log = make_client(jwt=OWN_LOG_JWT, event_hooks=hooks)
    platform.faults.inject("*/call-log", Fault.status(403), times=2)
    await expect_error(
        lambda: own_log.list_call_log(
            date_from=datetime(2026, 1, 1, tzinfo=UTC), date_to=datetime(2026, 2, 1, tzinfo=UTC)
        )
    )
    wrong = make_client(credentials=credentials(secret=WRONG_SECRET), event_hooks=hooks)
    await expect_error(wrong.check_permission)
    platform.faults.inject(
        "/restapi/oauth/token",
        Fault.json(400, {"error": "invalid_grant", "error_description": f"bad assertion {OWN_LOG_JWT}"}),
    )
    await expect_error(make_client(jwt=OWN_LOG_JWT, event_hooks=hooks).check_permission)

    token = platform.login_with_jwt(OWN_LOG_JWT, SANDBOX_CLIENT_ID, 3600, 3600)["access_token"]
    collector.tokens.add(token)
    pre_issued = make_client(credentials=AccessTokenCredentials(token))
    platform.expire_access_tokens()
    await expect_error(pre_issued.check_permission)
    for c in (client, own_log, wrong, pre_issued):
        await c.aclose()

    assert len(errors) == 14
    secrets = {FULL_JWT, NO_INSIGHTS_JWT, OWN_LOG_JWT, SANDBOX_CLIENT_SECRET, WRONG_SECRET, *collector.tokens}
    assert len(collector.tokens) >= 6
    texts = [caplog.text, repr(client), repr(pre_issued), repr(credentials()), repr(AccessTokenCredentials(token))]
    for error in errors:
        texts += [str(error), repr(error), error.message, str(error.error_code), str(error.request_id)]
        cause = error.__cause__
        if cause is not None:
            texts.append(str(cause))
    assert_clean(texts, secrets)
    assert "[redacted]" in str(errors[0]) and "[redacted]" in str(errors[1])

"""Settings from the environment: names and aliases, contradictions, one clear error, secrets kept secret."""

from __future__ import annotations

import logging

import pytest

from server.config import DEFAULT_SERVER_URL, SANDBOX_ENV, ConfigurationError, load_sandbox_flag, load_settings
from server.ringsense.auth import AccessTokenCredentials, JWTCredentials

CLIENT_ID = "AppClientId123"
SECRET = "canary-client-secret-7f3a"
JWT = "eyJcanary.jwt.payload-91b2"
TOKEN = "canary-access-token-55c1"

CURRENT = {"RC_APP_CLIENT_ID": CLIENT_ID, "RC_APP_CLIENT_SECRET": SECRET, "RC_USER_JWT": JWT}
OLDER = {"RC_CLIENT_ID": CLIENT_ID, "RC_CLIENT_SECRET": SECRET, "RC_JWT": JWT}
SDK = {"RINGCENTRAL_CLIENT_ID": CLIENT_ID, "RINGCENTRAL_CLIENT_SECRET": SECRET, "RINGCENTRAL_JWT_TOKEN": JWT}


@pytest.mark.parametrize("environ", [CURRENT, OLDER, SDK], ids=["current", "older", "python-sdk"])
def test_every_naming_scheme_gives_jwt_credentials(environ: dict[str, str]) -> None:
    settings = load_settings(environ)
    assert settings.server_url == DEFAULT_SERVER_URL
    credentials = settings.credentials
    assert isinstance(credentials, JWTCredentials)
    assert credentials.client_id == CLIENT_ID
    assert credentials.client_secret.get_secret_value() == SECRET
    assert credentials.jwt.get_secret_value() == JWT
    assert settings.auth_mode == "jwt"


def test_names_from_different_schemes_can_be_mixed() -> None:
    settings = load_settings({"RC_APP_CLIENT_ID": CLIENT_ID, "RC_CLIENT_SECRET": SECRET, "RINGCENTRAL_JWT_TOKEN": JWT})
    assert isinstance(settings.credentials, JWTCredentials)


def test_aliases_with_the_same_value_agree() -> None:
    settings = load_settings({**CURRENT, **OLDER})
    assert isinstance(settings.credentials, JWTCredentials)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("RC_APP_CLIENT_SECRET", "RC_CLIENT_SECRET"),
        ("RC_USER_JWT", "RINGCENTRAL_JWT_TOKEN"),
        ("RC_APP_CLIENT_ID", "RINGCENTRAL_CLIENT_ID"),
        ("RC_SERVER_URL", "RINGCENTRAL_SERVER_URL"),
    ],
)
def test_contradictory_aliases_are_refused_naming_both_variables(first: str, second: str) -> None:
    environ = {**CURRENT, first: "https://a.example.com-canary-one", second: "https://b.example.com-canary-two"}
    with pytest.raises(ConfigurationError) as caught:
        load_settings(environ)
    message = str(caught.value)
    assert first in message and second in message
    assert "canary-one" not in message and "canary-two" not in message


def test_missing_credentials_give_one_error_naming_what_is_missing_and_how_to_get_it() -> None:
    with pytest.raises(ConfigurationError) as caught:
        load_settings({"RC_APP_CLIENT_ID": CLIENT_ID})
    message = caught.value.message
    assert "RC_APP_CLIENT_SECRET or RC_CLIENT_SECRET or RINGCENTRAL_CLIENT_SECRET" in message
    assert "RC_USER_JWT or RC_JWT or RINGCENTRAL_JWT_TOKEN" in message
    assert "RC_APP_CLIENT_ID or" not in message  # it is set
    for words in (
        "developer console",
        "JWT auth flow",
        "RingSense",
        "ReadCallLog",
        "ReadAccounts",
        "JWT credential",
        "RC_ACCESS_TOKEN",
    ):
        assert words in message


def test_nothing_set_lists_all_three() -> None:
    with pytest.raises(ConfigurationError) as caught:
        load_settings({})
    for name in ("RC_APP_CLIENT_ID", "RC_APP_CLIENT_SECRET", "RC_USER_JWT"):
        assert name in caught.value.message


def test_blank_values_count_as_unset_and_values_are_trimmed() -> None:
    with pytest.raises(ConfigurationError):
        load_settings({**CURRENT, "RC_USER_JWT": "   "})
    settings = load_settings({k: f"  {v}\n" for k, v in CURRENT.items()})
    assert settings.credentials == JWTCredentials(CLIENT_ID, SECRET, JWT)


def test_sandbox_needs_no_credentials() -> None:
    settings = load_settings({}, sandbox=True)
    assert settings.sandbox and settings.credentials is None and settings.auth_mode == "none"


def test_a_pre_issued_access_token_is_enough() -> None:
    settings = load_settings({"RC_ACCESS_TOKEN": TOKEN})
    assert isinstance(settings.credentials, AccessTokenCredentials)
    assert settings.credentials.access_token.get_secret_value() == TOKEN
    assert settings.auth_mode == "access_token"


def test_complete_jwt_credentials_win_over_an_access_token() -> None:
    assert isinstance(load_settings({**CURRENT, "RC_ACCESS_TOKEN": TOKEN}).credentials, JWTCredentials)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://platform.ringcentral.com/", "https://platform.ringcentral.com"),
        ("https://platform.devtest.ringcentral.com", "https://platform.devtest.ringcentral.com"),
        ("https://proxy.example.com:8443/rc", "https://proxy.example.com:8443/rc"),
        ("http://127.0.0.1:8787", "http://127.0.0.1:8787"),
        ("http://localhost:8787", "http://localhost:8787"),
        ("http://[::1]:8787", "http://[::1]:8787"),
    ],
)
def test_server_urls_that_are_accepted(url: str, expected: str) -> None:
    assert load_settings({**CURRENT, "RC_SERVER_URL": url}).server_url == expected


@pytest.mark.parametrize(
    "url",
    [
        "http://platform.ringcentral.com",
        "ftp://platform.ringcentral.com",
        "platform.ringcentral.com",
        "https://",
        "https://user:pass@platform.ringcentral.com",
        "https://platform.ringcentral.com/?x=1",
        "https://platform.ringcentral.com/#frag",
        "https://platform.ringcentral.com:notaport",
        "http://10.0.0.1",
    ],
)
def test_server_urls_that_are_refused(url: str) -> None:
    with pytest.raises(ConfigurationError, match="RC_SERVER_URL"):
        load_settings({**CURRENT, "RC_SERVER_URL": url})


def test_secrets_never_show_in_repr_str_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    settings = load_settings({**CURRENT, "RC_ACCESS_TOKEN": TOKEN})
    credentials = settings.credentials
    caplog.set_level(logging.DEBUG)
    logging.getLogger("test").info("settings: %s %r %s %r", settings, settings, credentials, credentials)
    for text in (repr(settings), str(settings), repr(credentials), str(credentials), caplog.text):
        for secret in (SECRET, JWT, TOKEN):
            assert secret not in text
    assert CLIENT_ID in repr(settings)  # the client id is not a secret and helps diagnosis


def test_the_environment_is_read_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in CURRENT.items():
        monkeypatch.setenv(name, value)
    assert isinstance(load_settings().credentials, JWTCredentials)


@pytest.mark.parametrize(
    "url",
    ["redis://localhost:6379/0", "rediss://:pw@cache.example.com:6380/1", "unix:///run/redis/redis.sock"],
    ids=["plain", "tls-with-password", "unix-socket"],
)
def test_a_redis_url_is_read_for_shared_state(url: str) -> None:
    settings = load_settings({**CURRENT, "RINGSENSE_REDIS_URL": f"  {url} "})
    assert settings.redis_url is not None and settings.redis_url.get_secret_value() == url
    assert url not in repr(settings)


def test_without_a_redis_url_nothing_is_shared() -> None:
    assert load_settings({**CURRENT, "RINGSENSE_REDIS_URL": " "}).redis_url is None


@pytest.mark.parametrize(
    ("url", "advice"),
    [
        ("http://:canary-redis-pw@cache:6379", "must start with redis://"),
        ("redis://:canary-redis-pw@:6379/0", "names no host"),
        ("redis://:canary-redis-pw@cache:notaport/0", "not a valid URL"),
        ("unix://", "names no socket path"),
    ],
    ids=["wrong-scheme", "no-host", "bad-port", "no-socket"],
)
def test_a_bad_redis_url_is_refused_without_repeating_its_password(url: str, advice: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        load_settings({**CURRENT, "RINGSENSE_REDIS_URL": url})
    assert "RINGSENSE_REDIS_URL" in caught.value.message and advice in caught.value.message
    assert "canary-redis-pw" not in caught.value.message


def test_every_secret_value_is_listed_for_log_redaction() -> None:
    url = "redis://:canary-redis-pw@cache:6379/0"
    settings = load_settings({**CURRENT, "RC_ACCESS_TOKEN": TOKEN, "RINGSENSE_REDIS_URL": url})
    assert set(settings.secret_values()) == {SECRET, JWT, TOKEN, url, "canary-redis-pw"}


# --- the call library ------------------------------------------------------------------------------------------


def test_the_library_is_on_by_default_in_the_per_user_data_directory() -> None:
    from server.config import load_library_settings

    library = load_library_settings({})
    assert library.enabled and library.path is not None
    assert library.path.name == "library.sqlite3" and "ringsense-mcp" in str(library.path)


def test_the_sandbox_keeps_its_library_apart_from_the_real_one(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from server.config import load_library_settings

    live = load_library_settings({"RINGSENSE_DATA_DIR": str(tmp_path)})
    sandbox = load_library_settings({"RINGSENSE_DATA_DIR": str(tmp_path)}, sandbox=True)
    assert live.path == tmp_path / "library.sqlite3"
    assert sandbox.path == tmp_path / "library-sandbox.sqlite3"
    assert load_settings(CURRENT | {"RINGSENSE_DATA_DIR": str(tmp_path)}).library == live


@pytest.mark.parametrize("value", ["off", "OFF", "0", "false", "no"])
def test_the_library_can_be_turned_off(value: str) -> None:
    from server.config import load_library_settings

    library = load_library_settings({"RINGSENSE_LIBRARY": value})
    assert not library.enabled and library.path is None


@pytest.mark.parametrize(
    ("environ", "advice"),
    [
        ({"RINGSENSE_LIBRARY": "maybe"}, "RINGSENSE_LIBRARY must be 1 or 0"),
        ({"RINGSENSE_DATA_DIR": "relative/dir"}, "must be an absolute path"),
    ],
)
def test_bad_library_settings_are_refused_with_what_to_do(environ: dict[str, str], advice: str) -> None:
    from server.config import load_library_settings

    with pytest.raises(ConfigurationError, match=advice):
        load_library_settings(environ)


@pytest.mark.parametrize(("value", "seconds"), [("", None), ("6", 6.0), ("1.5", 1.5), (" 0.3 ", 0.3)])
def test_the_events_lease_expiry_is_read_in_seconds(value: str, seconds: float | None) -> None:
    settings = load_settings({"RINGSENSE_EVENTS_LEASE_TTL": value}, sandbox=True)
    assert settings.events_lease_ttl == seconds


@pytest.mark.parametrize("value", ["0", "0.1", "61", "-1", "six", "nan"])
def test_an_events_lease_expiry_out_of_range_is_refused_with_the_range(value: str) -> None:
    with pytest.raises(
        ConfigurationError, match=r"RINGSENSE_EVENTS_LEASE_TTL must be a number of seconds from 0.3 to 60"
    ):
        load_settings({"RINGSENSE_EVENTS_LEASE_TTL": value}, sandbox=True)


# --- the library in PostgreSQL -------------------------------------------------------------------------------

DATABASE_URL = "postgresql://ringsense:db-canary-pw@db.internal:5432/ringsense"


def test_a_database_url_puts_the_library_in_postgresql_and_is_held_as_a_secret() -> None:
    from server.config import load_library_settings

    library = load_library_settings({"RINGSENSE_DATABASE_URL": DATABASE_URL})
    assert library.backend == "postgresql" and library.database_url is not None
    assert library.database_url.get_secret_value() == DATABASE_URL
    assert "db-canary-pw" not in repr(library) and "db-canary-pw" not in str(load_settings(CURRENT | {
        "RINGSENSE_DATABASE_URL": DATABASE_URL}))  # fmt: skip
    assert load_library_settings({}).backend == "sqlite"


def test_the_sandbox_never_writes_sample_calls_into_the_team_database() -> None:
    from server.config import load_library_settings

    library = load_library_settings({"RINGSENSE_DATABASE_URL": DATABASE_URL}, sandbox=True)
    assert library.backend == "sqlite" and library.database_url is None


@pytest.mark.parametrize(
    ("value", "advice"),
    [
        ("mysql://ringsense:db-canary-pw@db/ringsense", "must be a PostgreSQL URL"),
        ("db-canary-pw", "must be a PostgreSQL URL"),
        ("postgresql://ringsense:db-canary-pw@db.internal:5432", "must name the database"),
        ("postgresql://ringsense:db-canary-pw@db.internal:port/x", "not a valid URL"),
    ],
    ids=["other-scheme", "no-scheme", "no-database", "bad-port"],
)
def test_a_bad_database_url_is_refused_without_repeating_it(value: str, advice: str) -> None:
    from server.config import load_library_settings

    with pytest.raises(ConfigurationError) as caught:
        load_library_settings({"RINGSENSE_DATABASE_URL": value})
    assert advice in caught.value.message and "db-canary-pw" not in caught.value.message


@pytest.mark.parametrize(
    "url",
    [
        "https://platform.ringcentral.com/restapi/v1.0",
        "https://platform.ringcentral.com/restapi/v1.0/",
        "https://platform.ringcentral.com/restapi",
        "https://platform.ringcentral.com/ai/ringsense/v1/public",
        "https://proxy.example.com/rc/restapi/oauth/token",
    ],
)
def test_a_server_url_copied_from_an_api_endpoint_is_refused_with_the_base_url_to_use(url: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        load_settings({**CURRENT, "RC_SERVER_URL": url})
    message = caught.value.message
    assert "RC_SERVER_URL" in message and "without an API path" in message
    assert f"use {url.split('/')[0]}//{url.split('/')[2]})" in message


@pytest.mark.parametrize(
    ("variable", "placeholder"),
    [
        ("RC_APP_CLIENT_ID", "YOUR_APP_CLIENT_ID"),
        ("RC_APP_CLIENT_SECRET", "YOUR_APP_CLIENT_SECRET"),
        ("RC_USER_JWT", "YOUR_USER_JWT_CREDENTIAL"),
        ("RC_USER_JWT", "your-jwt-here"),
        ("RC_APP_CLIENT_SECRET", "<client secret>"),
        ("RC_APP_CLIENT_ID", "..."),
        ("RC_USER_JWT", "${user_config.rc_user_jwt}"),
        ("RC_ACCESS_TOKEN", "YOUR_ACCESS_TOKEN"),
    ],
)
def test_an_example_placeholder_is_refused_at_start_naming_the_variable(variable: str, placeholder: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        load_settings({**CURRENT, variable: placeholder})
    message = caught.value.message
    assert message.startswith(f"{variable} still holds a placeholder")
    assert placeholder not in message, "the value is not echoed: a mistyped secret could match the pattern"
    assert SECRET not in message and JWT not in message


def test_every_placeholder_of_the_example_config_is_named_in_one_message() -> None:
    example = {"RC_APP_CLIENT_ID": "YOUR_APP_CLIENT_ID", "RC_APP_CLIENT_SECRET": "YOUR_APP_CLIENT_SECRET"}
    with pytest.raises(ConfigurationError, match=r"^RC_APP_CLIENT_ID, RC_APP_CLIENT_SECRET still hold a placeholder"):
        load_settings({**CURRENT, **example})


def test_the_sandbox_ignores_placeholder_credentials() -> None:
    assert load_settings({"RC_APP_CLIENT_ID": "YOUR_APP_CLIENT_ID"}, sandbox=True).sandbox


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, False), ("", False), ("false", False), ("0", False), ("true", True), ("1", True), (" TRUE ", True)],
)
def test_the_sandbox_flag_can_come_from_the_environment(value: str | None, expected: bool) -> None:
    environ = {} if value is None else {SANDBOX_ENV: value}
    assert load_sandbox_flag(environ) is expected


def test_a_sandbox_flag_that_is_neither_true_nor_false_is_refused() -> None:
    with pytest.raises(ConfigurationError, match=f"{SANDBOX_ENV} must be 1 or 0"):
        load_sandbox_flag({SANDBOX_ENV: "maybe"})

"""Settings from the environment — the one place that reads it.

Accepted names (each row: current name first, then older or SDK aliases):

| setting        | variables                                                                    |
|----------------|------------------------------------------------------------------------------|
| server URL     | RC_SERVER_URL, RINGCENTRAL_SERVER_URL (default https://platform.ringcentral.com) |
| client id      | RC_APP_CLIENT_ID, RC_CLIENT_ID, RINGCENTRAL_CLIENT_ID                        |
| client secret  | RC_APP_CLIENT_SECRET, RC_CLIENT_SECRET, RINGCENTRAL_CLIENT_SECRET            |
| user JWT       | RC_USER_JWT, RC_JWT, RINGCENTRAL_JWT_TOKEN                                   |
| access token   | RC_ACCESS_TOKEN (pre-issued; cannot be refreshed)                            |
| HTTP token     | RINGSENSE_MCP_TOKEN (bearer token HTTP clients of this server must present)  |
| shared state   | RINGSENSE_REDIS_URL (redis://, rediss:// or unix://; replicas share token, pacing, cache) |
| live events    | RINGSENSE_EVENTS (1/0; default on with --sandbox, off otherwise; --events wins) |
| library on/off | RINGSENSE_LIBRARY (`on` by default; `off` turns the local call library off)  |
| data directory | RINGSENSE_DATA_DIR (default: the per-user data directory, via platformdirs)  |
| events lease   | RINGSENSE_EVENTS_LEASE_TTL (seconds, 0.3–60, default 6; with Redis: a dead holder's expiry) |
| database URL   | RINGSENSE_DATABASE_URL (postgresql://…: the library in PostgreSQL, shared by replicas) |
| sandbox mode   | RINGSENSE_MCP_SANDBOX (true/false; what `--sandbox` sets, for launchers that only set variables) |

Two aliases set to different values are contradictory and refused, and so is a value still holding an example's
placeholder (`YOUR_APP_CLIENT_ID`, `<client id>`, an unfilled `${user_config.…}`): it would only fail at the
first call, with a less helpful message. Secrets are held as `SecretStr`, so
`repr`, `str` and logging of `Settings` never show them, and error messages name variables, never values.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import SplitResult, urlsplit

from pydantic import SecretStr

from server.ringsense.auth import AccessTokenCredentials, JWTCredentials

__all__ = [
    "DATABASE_URL_ENV",
    "DATA_DIR_ENV",
    "DEFAULT_SERVER_URL",
    "ENV_NAMES",
    "EVENTS_ENV",
    "EVENTS_LEASE_TTL_ENV",
    "HTTP_TOKEN_ENV",
    "LIBRARY_ENV",
    "REDIS_URL_ENV",
    "SANDBOX_ENV",
    "ConfigurationError",
    "LibrarySettings",
    "Settings",
    "load_http_token",
    "load_library_settings",
    "load_sandbox_flag",
    "load_settings",
]

DEFAULT_SERVER_URL = "https://platform.ringcentral.com"


class ConfigurationError(ValueError):
    """The configuration is missing or contradictory; raised at start, before any request is made.

    `message` is the whole explanation, written for the person starting the server.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


ENV_NAMES: Mapping[str, tuple[str, ...]] = {
    "server_url": ("RC_SERVER_URL", "RINGCENTRAL_SERVER_URL"),
    "client_id": ("RC_APP_CLIENT_ID", "RC_CLIENT_ID", "RINGCENTRAL_CLIENT_ID"),
    "client_secret": ("RC_APP_CLIENT_SECRET", "RC_CLIENT_SECRET", "RINGCENTRAL_CLIENT_SECRET"),
    "jwt": ("RC_USER_JWT", "RC_JWT", "RINGCENTRAL_JWT_TOKEN"),
    "access_token": ("RC_ACCESS_TOKEN",),
}
_SECRET_SETTINGS = {"client_secret", "jwt", "access_token"}
# Placeholders from example configs: `YOUR_APP_CLIENT_ID`, `<client id>`, `...`, and an MCPB `${user_config.x}`
# that the host left unfilled.
_PLACEHOLDER = re.compile(r"your[_-].*|<[^<>]*>|\.{3}|…|.*\$\{[^}]*\}.*", re.IGNORECASE | re.DOTALL)
# Path segments of the API itself: a server URL that contains one was copied from an endpoint, and the client would
# ask for `/restapi/v1.0/restapi/v1.0/…`, which RingCentral answers with a misleading "API is not enabled" 404.
_API_SEGMENTS = frozenset({"restapi", "ai", "oauth", "ringsense"})

_HOW_TO_GET_CREDENTIALS = (
    "To get them: in the RingCentral developer console (https://developers.ringcentral.com/console) create an "
    "app that uses the 'JWT auth flow' with the scopes RingSense, ReadCallLog and ReadAccounts, and copy its "
    "client id and client secret; then, under Credentials, create a JWT credential for the user whose access "
    "the server should have. The user needs the 'AI Conversation Expert – Access Insights' permission. "
    "Alternatively set RC_ACCESS_TOKEN to a pre-issued access token (it cannot be refreshed), or run with "
    "--sandbox to try the server without credentials."
)


LIBRARY_ENV = "RINGSENSE_LIBRARY"
DATA_DIR_ENV = "RINGSENSE_DATA_DIR"
DATABASE_URL_ENV = "RINGSENSE_DATABASE_URL"
_POSTGRES_SCHEMES = ("postgresql", "postgres")
LIBRARY_FILE = "library.sqlite3"
SANDBOX_LIBRARY_FILE = "library-sandbox.sqlite3"  # sample calls never mix with a real account's


@dataclass(frozen=True)
class LibrarySettings:
    """Whether the local call library is on, and where it lives.

    `directory` None means the per-user data directory, worked out on first use of `path` (platformdirs is not
    imported at start-up: the stdio server's cold start is what Claude Desktop users wait for).
    """

    enabled: bool
    directory: Path | None = None
    sandbox: bool = False
    database_url: SecretStr | None = None  # PostgreSQL instead of the SQLite file (it may carry a password)
    # PostgreSQL: seconds a query waits for a connection before the user hears "not answering" (None: the
    # backend's default, 5 s). Not an environment variable: tests of an unreachable server shorten it.
    pool_timeout: float | None = None
    # Seconds the first catch-up waits for the client's handshake to be answered (None: the library service's
    # default, 1 s; a server's runtime, which connects only after the handshake, starts it at once). Not an
    # environment variable: in-memory tests, whose handshake is immediate, shorten it.
    catch_up_delay: float | None = None

    @property
    def backend(self) -> str:
        """The backend: "postgresql" when a database URL is set, else "sqlite"."""
        return "postgresql" if self.database_url is not None else "sqlite"

    @classmethod
    def off(cls) -> LibrarySettings:
        return cls(enabled=False)

    @property
    def path(self) -> Path | None:
        """The SQLite database file, or None when the library is off."""
        if not self.enabled:
            return None
        directory = self.directory
        if directory is None:
            import platformdirs  # deliberately lazy, see the class docstring

            directory = Path(platformdirs.user_data_dir("ringsense-mcp", appauthor=False))
        return directory / (SANDBOX_LIBRARY_FILE if self.sandbox else LIBRARY_FILE)


@dataclass(frozen=True)
class Settings:
    """What the server needs to reach RingCentral. `credentials` is None only in sandbox mode."""

    server_url: str
    client_id: str | None
    client_secret: SecretStr | None
    jwt: SecretStr | None
    access_token: SecretStr | None
    sandbox: bool = False
    # Shared state for replicas (RINGSENSE_REDIS_URL). A SecretStr: the URL may carry a Redis password.
    redis_url: SecretStr | None = None
    events: bool = False  # subscribe to RingSense push events (docs/events.md)
    library: LibrarySettings = field(default_factory=LibrarySettings.off)
    events_lease_ttl: float | None = None  # with Redis: the events lease's expiry (None: the lease's default, 6 s)

    @property
    def credentials(self) -> JWTCredentials | AccessTokenCredentials | None:
        """The credentials to log in with: the JWT flow when configured, else the pre-issued token."""
        if self.client_id and self.client_secret and self.jwt:
            return JWTCredentials(self.client_id, self.client_secret, self.jwt)
        if self.access_token:
            return AccessTokenCredentials(self.access_token)
        return None

    def secret_values(self) -> list[str]:
        """Every secret value set (credentials, the Redis URL and its password), for log redaction. Never log it."""
        values = [s.get_secret_value() for s in (self.client_secret, self.jwt, self.access_token, self.redis_url) if s]
        if self.redis_url is not None and (password := urlsplit(self.redis_url.get_secret_value()).password):
            values.append(password)
        return values

    @property
    def auth_mode(self) -> str:
        """'jwt', 'access_token' or 'none' (sandbox) — for status output."""
        credentials = self.credentials
        if isinstance(credentials, JWTCredentials):
            return "jwt"
        return "access_token" if credentials is not None else "none"


def _read(environ: Mapping[str, str], setting: str) -> tuple[str | None, str | None]:
    """(value, variable name) of a setting; raises ConfigurationError for contradictory aliases."""
    found: list[tuple[str, str]] = []
    for name in ENV_NAMES[setting]:
        value = environ.get(name)
        if value is not None and value.strip():
            found.append((name, value.strip()))
    for name, value in found[1:]:
        if value != found[0][1]:
            raise ConfigurationError(
                f"{found[0][0]} and {name} are both set, to different values. They mean the same thing "
                f"({setting.replace('_', ' ')}); unset one of them."
            )
    return (found[0][1], found[0][0]) if found else (None, None)


def _validate_server_url(url: str, variable: str | None) -> str:
    where = variable or "the server URL"
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError:
        raise ConfigurationError(f"{where} is not a valid URL.") from None
    if parts.scheme not in {"https", "http"} or not host:
        raise ConfigurationError(
            f"{where} must be an https:// URL such as {DEFAULT_SERVER_URL} (got {parts.scheme or 'no'} scheme)."
        )
    if parts.scheme == "http" and not _is_loopback(host):
        raise ConfigurationError(
            f"{where} uses plain http to a non-local host; credentials would travel unencrypted. Use https."
        )
    if parts.username is not None or parts.password is not None:
        raise ConfigurationError(f"{where} must not contain a user name or password.")
    if parts.query or parts.fragment:
        raise ConfigurationError(f"{where} must not contain a query (?…) or fragment (#…).")
    segments = [segment.lower() for segment in parts.path.split("/") if segment]
    if _API_SEGMENTS.intersection(segments):
        base = f"{parts.scheme}://{parts.netloc}"
        raise ConfigurationError(
            f"{where} must be the platform's base URL, such as {DEFAULT_SERVER_URL}, without an API path "
            f"(got the path {parts.path!r}; use {base}). The server adds /restapi/v1.0/… and /ai/ringsense/… itself."
        )
    return url.rstrip("/")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def load_settings(
    environ: Mapping[str, str] = os.environ, *, sandbox: bool = False, events: bool | None = None
) -> Settings:
    """Read the settings from `environ`; raise one ConfigurationError saying everything that is wrong.

    With `sandbox=True` no credentials are needed (the embedded fake platform is used). `events` (the
    command line's --events/--no-events) wins over RINGSENSE_EVENTS; without either, events are on in the
    sandbox only.
    """
    values: dict[str, str | None] = {}
    variables: dict[str, str | None] = {}
    for setting in ENV_NAMES:
        values[setting], variables[setting] = _read(environ, setting)
    if not sandbox:
        _refuse_placeholders(values, variables)

    server_url = _validate_server_url(values["server_url"] or DEFAULT_SERVER_URL, variables["server_url"])
    secrets = {name: SecretStr(value) if (value := values[name]) else None for name in _SECRET_SETTINGS}
    settings = Settings(
        server_url=server_url,
        client_id=values["client_id"],
        client_secret=secrets["client_secret"],
        jwt=secrets["jwt"],
        access_token=secrets["access_token"],
        sandbox=sandbox,
        redis_url=_redis_url(environ),
        events=events if events is not None else _flag(environ, EVENTS_ENV, default=sandbox),
        library=load_library_settings(environ, sandbox=sandbox),
        events_lease_ttl=_lease_ttl(environ),
    )
    if sandbox or settings.credentials is not None:
        return settings

    missing = [setting for setting in ("client_id", "client_secret", "jwt") if not values[setting]]
    lines = ["RingCentral credentials are missing. Set:"]
    lines += [f"  - {' or '.join(ENV_NAMES[setting])} ({_DESCRIPTIONS[setting]})" for setting in missing]
    lines.append(_HOW_TO_GET_CREDENTIALS)
    raise ConfigurationError("\n".join(lines))


EVENTS_ENV = "RINGSENSE_EVENTS"
_TRUE, _FALSE = frozenset({"1", "true", "yes", "on"}), frozenset({"0", "false", "no", "off"})


def _flag(environ: Mapping[str, str], name: str, *, default: bool) -> bool:
    value = (environ.get(name) or "").strip().lower()
    if not value:
        return default
    if value in _TRUE | _FALSE:
        return value in _TRUE
    raise ConfigurationError(f"{name} must be 1 or 0 (true/false, yes/no, on/off).")


def load_library_settings(environ: Mapping[str, str] = os.environ, *, sandbox: bool = False) -> LibrarySettings:
    """Whether the call library is on (`RINGSENSE_LIBRARY`) and its file (under `RINGSENSE_DATA_DIR`, else the
    per-user data directory). Sandbox mode uses a file of its own. Raises ConfigurationError for a value that is
    neither on nor off, or a relative data directory."""
    if not _flag(environ, LIBRARY_ENV, default=True):
        return LibrarySettings.off()
    configured = (environ.get(DATA_DIR_ENV) or "").strip()
    directory = None
    if configured:
        directory = Path(configured).expanduser()
        if not directory.is_absolute():
            raise ConfigurationError(f"{DATA_DIR_ENV} must be an absolute path (or start with ~).")
    # The sandbox's sample calls never go into a team's database: with --sandbox the URL is not used.
    database_url = None if sandbox else _database_url(environ)
    return LibrarySettings(enabled=True, directory=directory, sandbox=sandbox, database_url=database_url)


def _split_url(environ: Mapping[str, str], name: str) -> tuple[str, SplitResult] | None:
    """The variable `name` and its parts; None when unset or blank. The error never repeats the value: a service
    URL may hold a password."""
    value = (environ.get(name) or "").strip()
    if not value:
        return None
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError:
        raise ConfigurationError(f"{name} is not a valid URL.") from None
    return value, parts


def _database_url(environ: Mapping[str, str]) -> SecretStr | None:
    """`RINGSENSE_DATABASE_URL`, checked for shape only (the server is reached when the library opens). Messages
    never repeat the value: it may hold a password."""
    split = _split_url(environ, DATABASE_URL_ENV)
    if split is None:
        return None
    value, parts = split
    if parts.scheme not in _POSTGRES_SCHEMES:
        raise ConfigurationError(
            f"{DATABASE_URL_ENV} must be a PostgreSQL URL such as postgresql://ringsense:PASSWORD@db.internal:5432/"
            f"ringsense (got a {parts.scheme or 'missing'} scheme). Unset it to keep the library in a local file."
        )
    if not parts.path.strip("/"):
        raise ConfigurationError(
            f"{DATABASE_URL_ENV} must name the database, e.g. postgresql://ringsense@db.internal:5432/ringsense."
        )
    return SecretStr(value)


EVENTS_LEASE_TTL_ENV = "RINGSENSE_EVENTS_LEASE_TTL"
_LEASE_TTL_RANGE = (0.3, 60.0)  # below: renewals every 0.1 s load Redis; above: events wait a minute for a holder


def _lease_ttl(environ: Mapping[str, str]) -> float | None:
    value = (environ.get(EVENTS_LEASE_TTL_ENV) or "").strip()
    if not value:
        return None
    low, high = _LEASE_TTL_RANGE
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not low <= seconds <= high:
        raise ConfigurationError(
            f"{EVENTS_LEASE_TTL_ENV} must be a number of seconds from {low:g} to {high:g} (default 6): a dead "
            "holder's events subscription passes to another replica within 4/3 of it."
        )
    return seconds


def _refuse_placeholders(values: Mapping[str, str | None], variables: Mapping[str, str | None]) -> None:
    """Raise one ConfigurationError naming every variable that still holds an example's placeholder.

    Only the variable is named, never its value: a mistyped secret could match the pattern too.
    """
    placeholders = [
        variables[setting]
        for setting, value in values.items()
        if value is not None and setting != "server_url" and _PLACEHOLDER.fullmatch(value)
    ]
    if placeholders:
        one = len(placeholders) == 1
        raise ConfigurationError(
            f"{', '.join(str(name) for name in placeholders)} still {'holds' if one else 'hold'} a placeholder "
            f"from the example configuration. Replace {'it' if one else 'each'} with the real value from the "
            "RingCentral developer console (https://developers.ringcentral.com/console: the app's client id and "
            "secret, and a JWT credential under Credentials), or run with --sandbox to try the server without "
            "credentials."
        )


_DESCRIPTIONS = {
    "client_id": "the app's client id",
    "client_secret": "the app's client secret",
    "jwt": "the user's JWT credential",
}


REDIS_URL_ENV = "RINGSENSE_REDIS_URL"
_REDIS_SCHEMES = ("redis", "rediss", "unix")


def _redis_url(environ: Mapping[str, str]) -> SecretStr | None:
    """RINGSENSE_REDIS_URL, checked; None when unset or blank. Messages never repeat it (it may hold a password)."""
    split = _split_url(environ, REDIS_URL_ENV)
    if split is None:
        return None
    value, parts = split
    if parts.scheme not in _REDIS_SCHEMES:
        raise ConfigurationError(
            f"{REDIS_URL_ENV} must start with redis://, rediss:// (TLS) or unix://, such as "
            f"redis://localhost:6379/0 (got {parts.scheme or 'no'} scheme)."
        )
    if parts.scheme != "unix" and not parts.hostname:
        raise ConfigurationError(f"{REDIS_URL_ENV} names no host; use a URL such as redis://localhost:6379/0.")
    if parts.scheme == "unix" and not parts.path:
        raise ConfigurationError(f"{REDIS_URL_ENV} names no socket path; use a URL such as unix:///run/redis.sock.")
    return SecretStr(value)


SANDBOX_ENV = "RINGSENSE_MCP_SANDBOX"


def load_sandbox_flag(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether `RINGSENSE_MCP_SANDBOX` asks for sandbox mode (launchers such as an MCPB host set variables, not
    flags). Raises ConfigurationError for a value that is neither true nor false."""
    return _flag(environ, SANDBOX_ENV, default=False)


HTTP_TOKEN_ENV = "RINGSENSE_MCP_TOKEN"  # noqa: S105 - a variable name, not a secret
MIN_HTTP_TOKEN_LENGTH = 16


def load_http_token(environ: Mapping[str, str] = os.environ) -> SecretStr | None:
    """The bearer token HTTP clients must present (`RINGSENSE_MCP_TOKEN`), or None when it is unset or blank.

    Raises ConfigurationError for a token short enough to guess.
    """
    value = (environ.get(HTTP_TOKEN_ENV) or "").strip()
    if not value:
        return None
    if len(value) < MIN_HTTP_TOKEN_LENGTH:
        raise ConfigurationError(
            f"{HTTP_TOKEN_ENV} is shorter than {MIN_HTTP_TOKEN_LENGTH} characters, which is guessable. Generate one "
            "with: python -c 'import secrets; print(secrets.token_urlsafe(32))'"
        )
    return SecretStr(value)

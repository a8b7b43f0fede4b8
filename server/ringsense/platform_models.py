"""Wire models of the platform endpoints the product uses besides RingSense: the permission check and the call log.

Tolerant like the RingSense models: unknown fields kept, numeric ids accepted as strings.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import AliasChoices, Field, SecretStr, StrictBool, field_validator

from .wire import Paging, WireModel

__all__ = [
    "CallLogLeg",
    "CallLogPage",
    "CallLogParty",
    "CallLogRecord",
    "CallLogRecording",
    "EffectiveRole",
    "Navigation",
    "PermissionCheck",
    "PermissionDetails",
    "PermissionRef",
    "WsToken",
]


# --- Permission check --------------------------------------------------------------------------


class PermissionRef(WireModel):
    id: str | None = None
    uri: str | None = None
    site_compatible: str | None = None
    read_only: bool | None = None
    assignable: bool | None = None


class EffectiveRole(WireModel):
    id: str | None = None
    uri: str | None = None
    domain: str | None = None


class PermissionDetails(WireModel):
    permission: PermissionRef | None = None
    effective_role: EffectiveRole | None = None
    scopes: list[str] = Field(default_factory=list)


class PermissionCheck(WireModel):
    """`AuthProfileCheckResource`.

    The schema gives `successful` a default of false, but every documented answer carries it. A body without it, or
    with something other than a JSON boolean, is not a "no": it is an answer of the wrong shape (a proxy's page, a
    changed API), and reading it as "not granted" would send the user to an admin for nothing.
    """

    uri: str | None = None
    successful: StrictBool
    details: PermissionDetails | None = None


# --- Call log ----------------------------------------------------------------------------------


class CallLogParty(WireModel):
    phone_number: str | None = None
    extension_number: str | None = None
    extension_id: str | None = None
    name: str | None = None

    @field_validator("extension_id", mode="before")
    @classmethod
    def _id_as_string(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


class CallLogRecording(WireModel):
    id: str
    uri: str | None = None
    type: str | None = None
    content_uri: str | None = None

    @field_validator("id", mode="before")
    @classmethod
    def _id_as_string(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


class CallLogLeg(WireModel):
    start_time: datetime | None = None
    duration: int | None = None
    duration_ms: int | None = None
    type: str | None = None
    direction: str | None = None
    action: str | None = None
    result: str | None = None
    leg_type: str | None = None
    telephony_session_id: str | None = None
    from_: CallLogParty | None = Field(None, alias="from", validation_alias=AliasChoices("from", "from_"))
    to: CallLogParty | None = None
    recording: CallLogRecording | None = None


class CallLogRecord(CallLogLeg):
    id: str
    uri: str | None = None
    session_id: str | None = None
    legs: list[CallLogLeg] = Field(default_factory=list)

    @property
    def recordings(self) -> list[CallLogRecording]:
        """Every distinct recording of the call: the record's own and each leg's, in order."""
        seen: dict[str, CallLogRecording] = {}
        for item in [self, *self.legs]:
            if item.recording is not None and item.recording.id not in seen:
                seen[item.recording.id] = item.recording
        return list(seen.values())


class Navigation(WireModel):
    next_page: dict[str, Any] | None = None
    previous_page: dict[str, Any] | None = None
    first_page: dict[str, Any] | None = None
    last_page: dict[str, Any] | None = None


class CallLogPage(WireModel):
    records: list[CallLogRecord] = Field(default_factory=list)
    paging: Paging = Field(default_factory=Paging)
    navigation: Navigation = Field(default_factory=Navigation)
    level: Literal["account", "extension"] = Field(
        "account",
        description="Set by the client: which call log answered (extension when company access is missing).",
    )

    @property
    def has_next(self) -> bool:
        if self.navigation.next_page:
            return True
        paging = self.paging
        return bool(paging.page and paging.total_pages and paging.page < paging.total_pages)


# --- WebSocket token ---------------------------------------------------------------------------


class WsToken(WireModel):
    """`POST /restapi/oauth/wstoken`: a single-use token for the WebSocket gateway at `uri`."""

    ws_access_token: SecretStr = Field(alias="ws_access_token", description="Single use; expires in seconds.")
    uri: str = Field(alias="uri", description="The gateway, e.g. wss://ws-api.ringcentral.com/ws.")
    expires_in: int = Field(30, alias="expires_in", description="Seconds the token is valid for.")

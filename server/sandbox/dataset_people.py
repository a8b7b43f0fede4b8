"""The people of the sandbox account (Crestline Software) and the outsiders they talk to.

Names, numbers and extension ids are fictional; phone numbers are all 555-01xx.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass

from server.sandbox.dataset_build import Party
from server.sandbox.samples import SandboxUser

MAIN_NUMBER = "+16505550100"
CONFERENCE_BRIDGE = "+16505550199"

_JWT_ISSUED_AT = 1_717_200_000  # fixed so JWTs are the same in every build


@dataclass(frozen=True)
class Staff:
    party: Party
    title: str
    can_read_insights: bool = True
    can_read_company_call_log: bool = True


# users[0] first: the default user. Names, numbers and extension ids are fictional.
STAFF = {
    "dana": Staff(Party("Dana Whitfield", "+16505550111", "63378291004", "101"), "VP of Sales"),
    "marcus": Staff(Party("Marcus Oyelaran", "+16505550112", "63378292008", "102"), "Account Executive"),
    "priya": Staff(Party("Priya Raman", "+16505550121", "63378304012", "201"), "Support Engineer"),
    "owen": Staff(Party("Owen Castillo", MAIN_NUMBER, "63378310001", "100"), "Receptionist", can_read_insights=False),
    "sofia": Staff(
        Party("Sofia Lindqvist", "+16505550131", "63378318006", "301"),
        "Implementation Specialist",
        can_read_company_call_log=False,
    ),
    "jamal": Staff(Party("Jamal Reyes", "+16505550115", "63378297015", "105"), "Partner Manager"),
    "ethan": Staff(Party("Ethan Brandt", "+16505550114", "63378295011", "104"), "Solutions Engineer"),
}
PEOPLE = {key: staff.party for key, staff in STAFF.items()}


def external(name: str | None, phone: str, company: str | None = None) -> Party:
    return Party(name, phone, company=company)


HALVORSEN = external("Karen Halvorsen", "+19165550142", "Halvorsen Mechanical")
TYLER = external("Tyler Grant", "+17205550148", "Summit Roofing")


def jwt(extension_id: str) -> str:
    """A JWT-shaped credential: header.payload.signature, base64url, deterministic per extension."""

    def segment(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    header = {"kid": "87762f6a3dcf4b7f9f4e5cfc7e8d2b61", "typ": "JWT", "alg": "RS256"}
    payload = {
        "aud": "https://platform.ringcentral.com/restapi/oauth/token",
        "sub": extension_id,
        "iss": "https://platform.ringcentral.com",
        "exp": _JWT_ISSUED_AT + 10 * 365 * 86_400,
        "iat": _JWT_ISSUED_AT,
        "jti": hashlib.sha256(f"jti:{extension_id}".encode()).hexdigest()[:22],
    }
    signature = hashlib.shake_256(f"sig:{extension_id}".encode()).digest(256)
    return ".".join(
        (
            segment(json.dumps(header, separators=(",", ":")).encode()),
            segment(json.dumps(payload, separators=(",", ":")).encode()),
            segment(signature),
        )
    )


def users() -> list[SandboxUser]:
    return [
        SandboxUser(
            extension_id=staff.party.extension_id or "",
            name=staff.party.name or "",
            extension_number=staff.party.extension_number or "",
            jwt=jwt(staff.party.extension_id or ""),
            can_read_insights=staff.can_read_insights,
            can_read_company_call_log=staff.can_read_company_call_log,
        )
        for staff in STAFF.values()
    ]

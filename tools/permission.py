"""check_permission: can the authenticated user (or an extension) read RingSense insights?"""

from __future__ import annotations

from .deps import Deps
from .models import PermissionResult

PERMISSION_ID = "ReadRingSenseInsights"
GRANT_INSTRUCTIONS = (
    "An account administrator must give {who} the user permission 'AI Conversation Expert – Access Insights' "
    "(permissionId ReadRingSenseInsights): in the Admin Portal, Users → User Roles, edit the role assigned to {who} "
    "(or assign a role that includes it). Also make sure the RingCentral app has the 'RingSense' scope, and remember "
    "that a call only has insights when its owner holds an AI Conversation Expert (RingSense) license."
)


async def check_permission(deps: Deps, extension_id: str | None = None) -> PermissionResult:
    check = await deps.source.permission(PERMISSION_ID, extension_id)
    details = check.details
    role = details.effective_role.id if details and details.effective_role else None
    who = f"extension {extension_id}" if extension_id else "the authenticated user"
    return PermissionResult(
        permission=PERMISSION_ID,
        extension=extension_id or "~",
        granted=check.successful,
        effective_role=role,
        scopes=list(details.scopes) if details else [],
        what_to_do=None if check.successful else GRANT_INSTRUCTIONS.format(who=who),
        data_source=deps.data_source,
    )

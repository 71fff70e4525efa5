"""Roles and what they may do."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from onhand.domain.errors import Forbidden


class Role(StrEnum):
    ADMIN = "admin"
    MANAGER = "manager"
    CLERK = "clerk"
    AUDITOR = "auditor"


class Permission(StrEnum):
    READ = "read"
    POST_MOVEMENTS = "post_movements"
    REVERSE_MOVEMENTS = "reverse_movements"
    MANAGE_MASTER_DATA = "manage_master_data"
    MANAGE_LOTS = "manage_lots"
    MANAGE_USERS = "manage_users"
    VERIFY = "verify"
    MANAGE_PURCHASING = "manage_purchasing"
    RECEIVE_WITHOUT_ORDER = "receive_without_order"
    MANAGE_SALES = "manage_sales"
    # Cycle counting: settings, classification, plans, approving variances, seeing book quantities.
    MANAGE_COUNTS = "manage_counts"
    # Replenishment: policies, planning runs, accepting or rejecting their suggestions.
    MANAGE_PLANNING = "manage_planning"
    # Valuation: the organisation's currency and methods, exchange rates, landed costs.
    MANAGE_VALUATION = "manage_valuation"
    # The exceptions list: acknowledging one hides it from everyone's list, so it is a
    # supervisor's call (managers), apart from the master data a manager also keeps.
    ACKNOWLEDGE_EXCEPTIONS = "acknowledge_exceptions"
    # Recalls: holding a lot or serial everywhere and releasing it is a supervisor's call.
    MANAGE_RECALLS = "manage_recalls"
    # Webhooks and other integrations: where the organisation's events are sent, with secrets
    # that prove it (admins only).
    MANAGE_INTEGRATIONS = "manage_integrations"


GRANTS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.MANAGER: frozenset(
        {
            Permission.READ,
            Permission.POST_MOVEMENTS,
            Permission.REVERSE_MOVEMENTS,
            Permission.MANAGE_MASTER_DATA,
            Permission.MANAGE_LOTS,
            Permission.VERIFY,
            Permission.MANAGE_PURCHASING,
            Permission.RECEIVE_WITHOUT_ORDER,
            Permission.MANAGE_SALES,
            Permission.MANAGE_COUNTS,
            Permission.MANAGE_PLANNING,
            Permission.MANAGE_VALUATION,
            Permission.ACKNOWLEDGE_EXCEPTIONS,
            Permission.MANAGE_RECALLS,
        }
    ),
    Role.CLERK: frozenset(
        {
            Permission.READ,
            Permission.POST_MOVEMENTS,
            Permission.MANAGE_LOTS,
            Permission.MANAGE_SALES,
        }
    ),
    Role.AUDITOR: frozenset({Permission.READ, Permission.VERIFY}),
}


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is acting: the authenticated user, their organisation and reach."""

    user_id: int
    org_id: int
    username: str
    role: Role
    # Root location ids this user may post to and from; empty means every warehouse.
    warehouse_ids: frozenset[int] = field(default_factory=frozenset)

    def may(self, permission: Permission) -> bool:
        return permission in GRANTS[self.role]

    def require(self, permission: Permission) -> None:
        if not self.may(permission):
            raise Forbidden(
                f"role {self.role.value!r} may not {permission.value.replace('_', ' ')}",
                code="permission_denied",
            )

    def may_touch_warehouse(self, warehouse_id: int | None) -> bool:
        return not self.warehouse_ids or warehouse_id is None or warehouse_id in self.warehouse_ids

    def require_warehouse(self, warehouse_id: int | None, path: str) -> None:
        if not self.may_touch_warehouse(warehouse_id):
            raise Forbidden(
                f"user {self.username!r} is not allowed to work in the warehouse of {path}",
                code="warehouse_not_allowed",
            )

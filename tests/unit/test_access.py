"""Roles, their permissions, and warehouse restrictions."""

from __future__ import annotations

import pytest

from onhand.domain.access import GRANTS, Actor, Permission, Role
from onhand.domain.errors import Forbidden

P = Permission

EXPECTED: dict[Role, set[Permission]] = {
    Role.ADMIN: set(Permission),
    Role.MANAGER: set(Permission) - {P.MANAGE_USERS, P.MANAGE_INTEGRATIONS},
    Role.CLERK: {P.READ, P.POST_MOVEMENTS, P.MANAGE_LOTS, P.MANAGE_SALES},
    Role.AUDITOR: {P.READ, P.VERIFY},
}


def actor(role: Role, warehouses: frozenset[int] = frozenset()) -> Actor:
    return Actor(user_id=1, org_id=1, username="ann", role=role, warehouse_ids=warehouses)


def test_every_role_has_a_grant() -> None:
    assert set(GRANTS) == set(Role)


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("permission", list(Permission))
def test_a_role_may_do_exactly_what_it_is_granted(role: Role, permission: Permission) -> None:
    a = actor(role)
    allowed = permission in EXPECTED[role]
    assert a.may(permission) is allowed
    if allowed:
        a.require(permission)
    else:
        with pytest.raises(Forbidden) as info:
            a.require(permission)
        assert info.value.code == "permission_denied"
        assert role.value in info.value.message


def test_an_auditor_reads_and_verifies_but_never_writes() -> None:
    a = actor(Role.AUDITOR)
    writes = {P.POST_MOVEMENTS, P.REVERSE_MOVEMENTS, P.MANAGE_MASTER_DATA, P.MANAGE_LOTS}
    assert not any(a.may(p) for p in writes)


def test_a_clerk_posts_but_may_not_reverse() -> None:
    a = actor(Role.CLERK)
    assert a.may(P.POST_MOVEMENTS)
    assert not a.may(P.REVERSE_MOVEMENTS)


def test_an_unrestricted_user_works_in_every_warehouse() -> None:
    a = actor(Role.CLERK)
    assert a.may_touch_warehouse(5)
    a.require_warehouse(5, "WH5/A")


def test_a_restricted_user_works_only_in_their_warehouses_and_the_virtual_locations() -> None:
    a = actor(Role.CLERK, frozenset({1, 2}))
    assert a.may_touch_warehouse(1)
    assert a.may_touch_warehouse(2)
    assert a.may_touch_warehouse(None)  # suppliers, customers, adjustments have no warehouse
    assert not a.may_touch_warehouse(3)
    with pytest.raises(Forbidden) as info:
        a.require_warehouse(3, "WH3/B/07")
    assert info.value.code == "warehouse_not_allowed"
    assert "WH3/B/07" in info.value.message
    assert "ann" in info.value.message

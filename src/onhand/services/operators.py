"""Who the command line acts as: the operator has the database, so it works in an organisation
as that organisation's first active admin (movements and audit events name that user)."""

from __future__ import annotations

from onhand.domain.access import Actor, Role
from onhand.domain.errors import Conflict, InvalidInput, NotFound
from onhand.store import accounts
from onhand.store.unit_of_work import Database


def org_actor(db: Database, slug: str | None = None) -> Actor:
    """The admin actor of the organisation ``slug``, or of the only organisation when None."""
    with db.reading() as uow:
        conn = uow.conn
        if slug is None:
            orgs = accounts.list_orgs(conn)
            if not orgs:
                raise NotFound(
                    "the database has no organisation yet: run `onhand init` first",
                    code="no_organisation",
                )
            if len(orgs) > 1:
                slugs = ", ".join(o.slug for o in orgs[:20])
                raise InvalidInput(
                    f"the database has {len(orgs)} organisations ({slugs}): choose one with --org",
                    code="organisation_ambiguous",
                )
            org = orgs[0]
        else:
            found = accounts.org_by_slug(conn, slug)
            if found is None:
                raise NotFound(
                    f"organisation {slug[:64]!r} not found", code="organisation_not_found"
                )
            org = found
        admin = next(
            (u for u in accounts.list_users(conn, org.id) if u.active and u.role == Role.ADMIN),
            None,
        )
        if admin is None:
            raise Conflict(
                f"organisation {org.slug!r} has no active admin to act as", code="no_admin"
            )
        warehouses = accounts.user_warehouse_ids(conn, admin.id)
    return Actor(
        user_id=admin.id,
        org_id=org.id,
        username=admin.username,
        role=Role.ADMIN,
        warehouse_ids=warehouses,
    )

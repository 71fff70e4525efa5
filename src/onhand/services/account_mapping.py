"""The organisation's journal account mapping: which account code each role of the accounting
journal books to (inventory, goods received not invoiced, cost of goods sold, ...), with
per-warehouse overrides and the journal reference's prefix. Defaults until someone sets it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from onhand.domain.access import Actor, Permission
from onhand.domain.errors import InvalidInput
from onhand.domain.journal import ROLES, AccountMapping, mapping_of
from onhand.services.common import audit, utcnow
from onhand.store import erp
from onhand.store import valuation_reports as vr_store
from onhand.store.unit_of_work import Database, UnitOfWork


def load(uow: UnitOfWork, org_id: int) -> tuple[AccountMapping, bool]:
    """The organisation's mapping, and whether it is still the defaults."""
    row = erp.account_mapping(uow.conn, org_id)
    if row is None:
        return AccountMapping(), True
    return mapping_of(json.loads(row.mapping)), False


def mapping_out(mapping: AccountMapping, defaults: bool) -> dict[str, Any]:
    """The mapping as the API and CLI show it, with every role's meaning and default."""
    return mapping.as_dict() | {
        "defaults": defaults,
        "roles": [
            {"role": role, "default": code, "description": text}
            for role, (code, text) in ROLES.items()
        ],
    }


def get_mapping(db: Database, actor: Actor) -> dict[str, Any]:
    """The account mapping in force (``defaults``: nobody has changed it)."""
    actor.require(Permission.READ)
    with db.reading() as uow:
        return mapping_out(*load(uow, actor.org_id))


def set_mapping(
    db: Database,
    actor: Actor,
    *,
    accounts: Mapping[str, str] | None = None,
    warehouses: Mapping[str, Mapping[str, str]] | None = None,
    journal_prefix: str | None = None,
) -> dict[str, Any]:
    """Change the mapping: the roles given take their new codes (the others keep theirs),
    ``warehouses`` (given) replaces the per-warehouse overrides, each naming a warehouse or a
    transit location. Needs the valuation permission; audited."""
    actor.require(Permission.MANAGE_VALUATION)
    now = utcnow()

    def work(uow: UnitOfWork) -> dict[str, Any]:
        current, _ = load(uow, actor.org_id)
        data = current.as_dict()
        data["accounts"] |= dict(accounts or {})
        if warehouses is not None:
            data["warehouses"] = {w: dict(r) for w, r in warehouses.items()}
        if journal_prefix is not None:
            data["journal_prefix"] = journal_prefix
        mapping = mapping_of(data)
        scopes = set(vr_store.scope_paths(uow.conn, actor.org_id).values())
        unknown = sorted(set(mapping.warehouses) - scopes)
        if unknown:
            raise InvalidInput(
                f"{unknown[0][:80]!r} is not a warehouse or a transit location: per-warehouse "
                "accounts are for the places stock is valued in",
                code="unknown_warehouse",
            )
        text = json.dumps(mapping.as_dict(), sort_keys=True)
        erp.save_account_mapping(
            uow.conn,
            actor.org_id,
            {"mapping": text, "updated_at": now, "updated_by": actor.user_id},
        )
        audit(uow, actor, "organisation", actor.org_id, "account_mapping.set", mapping=text)
        return mapping_out(mapping, False)

    return db.write(work)


def reset_mapping(db: Database, actor: Actor) -> dict[str, Any]:
    """Back to the default accounts. Needs the valuation permission; audited."""
    actor.require(Permission.MANAGE_VALUATION)

    def work(uow: UnitOfWork) -> dict[str, Any]:
        if erp.delete_account_mapping(uow.conn, actor.org_id):
            audit(uow, actor, "organisation", actor.org_id, "account_mapping.reset")
        return mapping_out(AccountMapping(), True)

    return db.write(work)

"""Making count documents: the daily plan of the cycle-count programme, and ad-hoc counts of a
location (its whole subtree), of an item, or of every record flagged for a discrepancy.

A count document (CC-000001) has a line per location, item, lot and serial the book holds
when it is made; lines for stock found where the book had none are added as it is counted.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from onhand.domain.access import Actor, Permission
from onhand.domain.counting import Record, check_day, is_working_day, plan_day
from onhand.domain.errors import InvalidInput
from onhand.services.common import audit, not_found, stock_location, utcnow
from onhand.services.count_classes import fresh_run_in
from onhand.services.count_settings import settings_in
from onhand.services.postings import write_retrying
from onhand.store import catalog, classification, counting, numbering
from onhand.store.unit_of_work import Database, UnitOfWork

PREFIX = "CC"


def line_row(
    org_id: int, doc_id: int, line_no: int, r: Any, abc: str, *, expected: bool = True
) -> dict[str, Any]:
    """A new, uncounted line for a balance row (item_id, location_id, warehouse_id, lot, serial)."""
    return {
        "org_id": org_id,
        "count_id": doc_id,
        "line_no": line_no,
        "location_id": r.location_id,
        "warehouse_id": r.warehouse_id,
        "item_id": r.item_id,
        "lot": r.lot,
        "serial": r.serial,
        "expected": expected,
        "status": "open",
        "abc": abc,
        "count_no": 0,
    }


def _new_document(
    uow: UnitOfWork,
    actor: Actor,
    *,
    kind: str,
    balances: Iterable[Any],
    abc: dict[int, str],
    warehouse_id: int | None,
    scope: str | None,
    plan_date: date | None = None,
) -> str:
    conn, org = uow.conn, actor.org_id
    # Counted inside this transaction on both databases: a plan makes several documents.
    number = f"{PREFIX}-{numbering.next_number(conn, org, PREFIX):06d}"
    now = utcnow()
    doc_id = counting.insert_document(
        conn,
        {
            "org_id": org,
            "number": number,
            "kind": kind,
            "warehouse_id": warehouse_id,
            "plan_date": plan_date,
            "scheduled_on": plan_date or now.date(),
            "scope": scope,
            "status": "open",
            "created_at": now,
            "created_by": actor.user_id,
            "updated_at": now,
        },
    )
    ordered = sorted(balances, key=lambda r: (r.location_id, r.item_id, r.lot, r.serial))
    counting.insert_lines(
        conn,
        [
            line_row(org, doc_id, n, r, abc.get(r.item_id, "C"))
            for n, r in enumerate(ordered, start=1)
        ],
    )
    audit(uow, actor, "count", number, "created", kind=kind, lines=len(ordered))
    return number


def make_daily_plan(db: Database, actor: Actor, *, day: date | None = None) -> dict[str, Any]:
    """The count documents of a working day, one per warehouse with something to count: made
    once (a second call answers the same documents), reclassifying first when the latest
    classification is older than the settings allow."""
    actor.require(Permission.MANAGE_COUNTS)
    when = check_day(day or utcnow().date())

    def work(uow: UnitOfWork) -> dict[str, Any]:
        conn, org = uow.conn, actor.org_id
        settings = settings_in(uow, org)
        if not is_working_day(when, settings.working_days):
            raise InvalidInput(
                f"{when.isoformat()} is not a working day of the count programme",
                code="not_a_working_day",
            )
        # Fresh for the day planned (a past day is planned with the classes of that time).
        run_id = fresh_run_in(uow, actor, settings, min(when, utcnow().date()))
        abc = classification.abc_of_items(conn, org, run_id)
        planned = {d.warehouse_id for d in counting.plan_documents(conn, org, when)}
        records = [
            Record(
                item_id=r.item_id,
                location_id=r.location_id,
                warehouse_id=r.warehouse_id,
                abc=abc.get(r.item_id, "C"),
                last_counted=None if r.last_counted is None else counting.as_date(r.last_counted),
            )
            for r in counting.stock_records(conn, org, actor.warehouse_ids)
            if r.warehouse_id not in planned
        ]
        chosen = plan_day(records, when, settings)
        by_warehouse: dict[int, list[Any]] = {}
        for row in counting.balances_of_records(conn, org, chosen):
            by_warehouse.setdefault(row.warehouse_id, []).append(row)
        for warehouse_id, rows in sorted(by_warehouse.items()):
            _new_document(
                uow,
                actor,
                kind="plan",
                balances=rows,
                abc=abc,
                warehouse_id=warehouse_id,
                scope=None,
                plan_date=when,
            )
        docs = counting.plan_documents(conn, org, when)
        return {
            "date": when,
            "created": len(by_warehouse),
            "documents": [
                {"number": d.number, "warehouse": d.warehouse, "status": d.status} for d in docs
            ],
        }

    # Two planners of the same day race for the (day, warehouse) key: the loser retries and
    # finds the winner's documents.
    return write_retrying(db, work)


def create_count(
    db: Database,
    actor: Actor,
    *,
    location: str | None = None,
    sku: str | None = None,
    discrepancies: bool = False,
) -> dict[str, Any]:
    """An ad-hoc count of a location and everything below it, of an item wherever it is, or of
    every (item, location) flagged for a discrepancy: an open one such as a short pick, or a
    balance below zero. Returns the new document's number."""
    actor.require(Permission.MANAGE_COUNTS)
    if sum((location is not None, sku is not None, discrepancies)) != 1:
        raise InvalidInput(
            "name exactly one of a location, an item, or discrepancies", code="invalid_count_scope"
        )

    def work(uow: UnitOfWork) -> dict[str, Any]:
        conn, org = uow.conn, actor.org_id
        abc = classification.abc_of_items(conn, org, _latest_run_id(uow, org))
        allowed = actor.may_touch_warehouse
        if location is not None:
            loc = stock_location(uow, actor, location)
            rows = counting.balances_in_subtree(conn, org, loc.path)
            kind, scope, warehouse_id = "location", loc.path, loc.warehouse_id
        elif sku is not None:
            item = catalog.item_by_sku(conn, org, sku)
            if item is None:
                raise not_found("SKU", sku)
            rows = [
                r for r in counting.balances_of_item(conn, org, item.id) if allowed(r.warehouse_id)
            ]
            kind, scope = "item", sku
            warehouse_id = _single_warehouse(rows)
        else:
            flagged = counting.flagged_records(conn, org)
            rows = [
                r
                for r in counting.balances_of_records(conn, org, flagged)
                if allowed(r.warehouse_id)
            ]
            kind, scope = "discrepancy", "discrepancies"
            warehouse_id = _single_warehouse(rows)
        if not rows and kind != "location":
            raise InvalidInput(f"there is no stock to count for {scope}", code="nothing_to_count")
        number = _new_document(
            uow, actor, kind=kind, balances=rows, abc=abc, warehouse_id=warehouse_id, scope=scope
        )
        return {"number": number, "lines": len(rows)}

    return db.write(work)


def _latest_run_id(uow: UnitOfWork, org_id: int) -> int | None:
    run = classification.latest_run(uow.conn, org_id)
    return None if run is None else int(run.id)


def _single_warehouse(rows: list[Any]) -> int | None:
    found = {r.warehouse_id for r in rows}
    return found.pop() if len(found) == 1 else None

"""valuation totals: each entry carries its item's running totals in its scope

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 07:10:00.000000
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa
from alembic import op

from onhand.domain.valuation import Kind
from onhand.domain.valuation_totals import TOTAL_FIELDS, Totals, first

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

EPOCH = date(1970, 1, 1)


def _day(at: object) -> int:
    moment = at if isinstance(at, datetime) else datetime.fromisoformat(str(at))
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return (moment.date() - EPOCH).days


def upgrade() -> None:
    with op.batch_alter_table("valuation_entries") as batch:
        batch.add_column(sa.Column("day", sa.Integer(), nullable=False, server_default="0"))
        for name in TOTAL_FIELDS:
            batch.add_column(sa.Column(name, sa.BigInteger(), nullable=False, server_default="0"))
    op.create_index(
        "ix_valuation_entries_pair_at",
        "valuation_entries",
        ["org_id", "item_id", "scope_id", "at", "id"],
    )
    # The entries made before this revision, in their running order.
    conn = op.get_bind()
    rows = conn.execute(
        sa.text(
            "SELECT id, org_id, item_id, scope_id, kind, qty, value, expense, at "
            "FROM valuation_entries ORDER BY org_id, item_id, scope_id, at, id"
        )
    )
    names = ("day", *TOTAL_FIELDS)
    stmt = sa.text(
        "UPDATE valuation_entries SET "
        + ", ".join(f"{n} = :{n}" for n in names)
        + " WHERE id = :entry_id"
    )
    batch_rows: list[dict[str, int]] = []
    key: tuple[int, int, int] | None = None
    totals: Totals | None = None
    for r in rows.fetchall():
        day = _day(r.at)
        if (r.org_id, r.item_id, r.scope_id) != key or totals is None:
            key, totals = (r.org_id, r.item_id, r.scope_id), first(day)
        totals = totals.after(day, Kind(r.kind), int(r.qty), int(r.value), int(r.expense))
        batch_rows.append({"entry_id": r.id, **{n: getattr(totals, n) for n in names}})
        if len(batch_rows) >= 5000:
            conn.execute(stmt, batch_rows)
            batch_rows = []
    if batch_rows:
        conn.execute(stmt, batch_rows)


def downgrade() -> None:
    op.drop_index("ix_valuation_entries_pair_at", table_name="valuation_entries")
    with op.batch_alter_table("valuation_entries") as batch:
        for name in reversed(("day", *TOTAL_FIELDS)):
            batch.drop_column(name)

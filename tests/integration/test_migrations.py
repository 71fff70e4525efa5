"""Migrations: from an empty database to head on SQLite and PostgreSQL, the result is exactly
the schema of tables.py; upgrading an up-to-date database changes nothing; downgrade works."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

from onhand.services import planning_runs, postings, verify
from onhand.store.engine import make_engine
from onhand.store.migrate import (
    MIGRATIONS,
    current_revision,
    head_revision,
    is_up_to_date,
    upgrade,
)
from onhand.store.tables import metadata
from onhand.store.unit_of_work import Database
from tests.conftest import make_org
from tests.integration.ledger_helpers import build_world, mv


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on an empty database (a new SQLite file, a new PostgreSQL schema)."""
    eng = make_engine(database_url, sqlite_synchronous="NORMAL", pool_size=2)
    yield eng
    eng.dispose()


def schema_differences(engine: Engine) -> list[Any]:
    """What autogenerate would still change to make the database match tables.py."""
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={"compare_type": True, "compare_server_default": True},
        )
        return list(compare_metadata(context, metadata))


def snapshot(engine: Engine) -> dict[str, Any]:
    """Tables with their columns, indexes, unique and foreign keys, as the database reports them."""
    insp = inspect(engine)
    out: dict[str, Any] = {}
    for name in sorted(insp.get_table_names()):
        out[name] = {
            "columns": [(c["name"], str(c["type"]), c["nullable"]) for c in insp.get_columns(name)],
            "indexes": sorted(
                (i["name"] or "", tuple(i["column_names"])) for i in insp.get_indexes(name)
            ),
            "unique": sorted(
                (u["name"] or "", tuple(u["column_names"]))
                for u in insp.get_unique_constraints(name)
            ),
            "foreign_keys": sorted(
                (f["name"] or "", tuple(f["constrained_columns"]), f["referred_table"])
                for f in insp.get_foreign_keys(name)
            ),
        }
    return out


def alembic_config(engine_conn: Any) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = engine_conn
    return cfg


def downgrade(engine: Engine, revision: str) -> None:
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), revision)


def test_an_empty_database_migrated_to_head_matches_the_tables_module(engine: Engine) -> None:
    assert current_revision(engine) is None
    assert inspect(engine).get_table_names() == []

    upgrade(engine)

    assert current_revision(engine) == head_revision()
    assert is_up_to_date(engine)
    assert schema_differences(engine) == []
    assert set(inspect(engine).get_table_names()) == set(metadata.tables) | {"alembic_version"}


def test_upgrading_an_up_to_date_database_changes_nothing(engine: Engine) -> None:
    upgrade(engine)
    db = Database(engine)
    org = make_org(db)
    before = snapshot(engine)

    upgrade(engine)

    assert snapshot(engine) == before
    assert current_revision(engine) == head_revision()
    with db.reading() as uow:
        orgs = uow.conn.exec_driver_sql("SELECT id FROM organisations").scalars().all()
    assert orgs == [org.org_id]


def test_downgrade_to_base_removes_the_schema_and_upgrade_rebuilds_it(engine: Engine) -> None:
    upgrade(engine)

    downgrade(engine, "base")

    assert current_revision(engine) is None
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    if engine.dialect.name == "postgresql":
        assert inspect(engine).get_sequence_names() == []
    upgrade(engine)
    assert schema_differences(engine) == []


def test_the_comparison_notices_a_database_that_drifted_from_the_tables_module(
    engine: Engine,
) -> None:
    # Shows that the empty difference above is a real check: a dropped index is reported.
    upgrade(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP INDEX ix_movements_org_ref")

    differences = schema_differences(engine)

    assert [d[0] for d in differences] == ["add_index"]
    assert differences[0][1].name == "ix_movements_org_ref"


def test_a_database_with_data_upgrades_from_each_revision_to_head(engine: Engine) -> None:
    # Stock, locations referenced by movements and balances: an upgrade that copied and dropped
    # a referenced table (SQLite's batch mode) would be refused by the foreign keys.
    upgrade(engine, "0001")
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO organisations (id, name, slug, created_at) VALUES (1, 'A', 'a', '2026-01-01')"
        )
        conn.exec_driver_sql(
            "INSERT INTO locations (id, org_id, code, name, path, kind, allow_negative, active,"
            " created_at, updated_at) VALUES (1, 1, 'WH1', 'WH1', 'WH1', 'internal', false, true,"
            " '2026-01-01', '2026-01-01')"
        )
        conn.exec_driver_sql(
            "INSERT INTO items (id, org_id, sku, name, uom, precision, unit_cost, currency,"
            " tracking, active, created_at, updated_at) VALUES (1, 1, 'A', 'A', 'ea', 0, 0,"
            " 'EUR', 'none', true, '2026-01-01', '2026-01-01')"
        )
        conn.exec_driver_sql(
            "INSERT INTO balances (org_id, item_id, location_id, lot_id, serial_id, qty)"
            " VALUES (1, 1, 1, 0, 0, 5)"
        )
    for revision in ("0002", "head"):
        upgrade(engine, revision)
    assert current_revision(engine) == head_revision()
    assert schema_differences(engine) == []
    with engine.connect() as conn:
        held = conn.exec_driver_sql("SELECT on_hold FROM locations WHERE id = 1").scalar_one()
        qty = conn.exec_driver_sql("SELECT qty FROM balances").scalar_one()
    assert not held
    assert qty == 5


def test_entries_valued_before_their_running_totals_existed_get_them(engine: Engine) -> None:
    """0011 adds running totals to the valuation entries and computes them for those there,
    in each item's running order, back-dated ones included: verify finds them right."""
    upgrade(engine)
    db = Database(engine)
    world = build_world(db, make_org(db).actor)
    t0 = datetime(2026, 2, 2, tzinfo=UTC)
    for sku, src, dst, qty, days in (
        ("BOLT", "@supplier", "WH1/A/01", 10, 3),
        ("BOLT", "WH1/A/01", "@customer", 4, 5),
        ("BOLT", "@supplier", "WH1/A/01", 5, 1),  # back-dated
        ("BOLT", "WH1/NEG", "@customer", 2, 4),
    ):
        postings.post_movements(db, world.actor, [mv(sku, src, dst, qty, at=t0 + timedelta(days))])
    with db.reading() as uow:
        before = uow.conn.exec_driver_sql(
            "SELECT id, level_qty, held_value, out_days FROM valuation_entries ORDER BY id"
        ).all()
    assert len(before) == 4

    downgrade(engine, "0010")
    upgrade(engine)

    with db.reading() as uow:
        after = uow.conn.exec_driver_sql(
            "SELECT id, level_qty, held_value, out_days FROM valuation_entries ORDER BY id"
        ).all()
    assert after == before
    assert verify.verify(db, org_id=world.org_id).findings == []


def test_planning_runs_left_running_before_the_heartbeat_get_one_and_one_runs_per_warehouse(
    engine: Engine,
) -> None:
    """0015 gives every run its last known time as heartbeat, and of the runs of a warehouse
    still marked running keeps the newest (the unique index allows one); downgrading maps
    interrupted to failed and drops what 0014 and 0015 added."""
    upgrade(engine, "0014")
    db = Database(engine)
    org = make_org(db)
    build_world(db, org.actor)
    with engine.begin() as conn:
        wh = conn.exec_driver_sql(
            f"SELECT id FROM locations WHERE org_id = {org.org_id} AND path = 'WH1'"
        ).scalar_one()
        for n, status, finished in ((1, "done", "2026-03-02 10:05:00"), (2, "running", None),
                                    (3, "running", None)):  # fmt: skip
            conn.exec_driver_sql(
                "INSERT INTO planning_runs (org_id, number, warehouse_id, status, parameters,"
                " stage, progress_done, progress_total, item_count, suggestion_count,"
                " finished_at, created_at) VALUES"
                f" ({org.org_id}, 'PLAN-00000{n}', {wh}, '{status}', '{{}}', 'forecast', 1, 4,"
                f" 0, 0, {'NULL' if finished is None else repr(finished)},"
                f" '2026-03-0{n} 10:00:00')"
            )

    upgrade(engine)

    assert schema_differences(engine) == []
    runs = planning_runs.list_runs(db, org.actor, "WH1")
    assert [(r["number"], r["status"]) for r in runs] == [
        ("PLAN-000003", "interrupted"),  # kept running, but silent since 2026: interrupted
        ("PLAN-000002", "interrupted"),  # marked so by the migration
        ("PLAN-000001", "done"),
    ]
    assert [r["heartbeat_at"] for r in runs] == [
        datetime(2026, 3, 3, 10, 0, tzinfo=UTC),
        datetime(2026, 3, 2, 10, 0, tzinfo=UTC),
        datetime(2026, 3, 2, 10, 5, tzinfo=UTC),
    ]
    with engine.connect() as conn:
        stored = conn.exec_driver_sql(
            "SELECT number, status FROM planning_runs ORDER BY number"
        ).all()
    assert [tuple(r) for r in stored] == [
        ("PLAN-000001", "done"),
        ("PLAN-000002", "interrupted"),
        ("PLAN-000003", "running"),
    ]
    assert "count_records" in inspect(engine).get_table_names()

    downgrade(engine, "0013")

    assert "count_records" not in inspect(engine).get_table_names()
    assert "heartbeat_at" not in {c["name"] for c in inspect(engine).get_columns("planning_runs")}
    with engine.connect() as conn:
        statuses = (
            conn.exec_driver_sql("SELECT status FROM planning_runs ORDER BY number").scalars().all()
        )
    assert statuses == ["done", "failed", "running"]
    upgrade(engine)
    assert schema_differences(engine) == []

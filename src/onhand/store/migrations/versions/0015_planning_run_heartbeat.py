"""planning runs: a heartbeat, and one running run per warehouse

A run whose process stopped stayed "running" for ever. Its process now records a heartbeat
while it works; without one for a few minutes the run is shown as interrupted. Runs there
before this revision get their last known time as heartbeat (so a run left running long ago is
interrupted at once), and of several running runs of one warehouse all but the newest are
marked interrupted, so that the unique index on running runs can be built.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 09:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

OLDER_RUNNING = """
UPDATE planning_runs SET status = 'interrupted',
  error = 'a newer run of the warehouse was started while it ran; start it again'
WHERE status = 'running' AND id < (
  SELECT max(p.id) FROM planning_runs p
  WHERE p.org_id = planning_runs.org_id AND p.warehouse_id = planning_runs.warehouse_id
    AND p.status = 'running')
"""


def upgrade() -> None:
    # A plain ALTER (no batch copy): planning_lines refers to the table.
    op.add_column("planning_runs", sa.Column("heartbeat_at", sa.DateTime(), nullable=True))
    op.execute("UPDATE planning_runs SET heartbeat_at = COALESCE(finished_at, created_at)")
    op.execute(OLDER_RUNNING)
    op.create_index(
        "uq_planning_runs_running",
        "planning_runs",
        ["org_id", "warehouse_id"],
        unique=True,
        sqlite_where=sa.text("status = 'running'"),
        postgresql_where=sa.text("status = 'running'"),
    )


def downgrade() -> None:
    op.drop_index("uq_planning_runs_running", table_name="planning_runs")
    # Interrupted is a status of this revision: before it such a run was failed.
    op.execute("UPDATE planning_runs SET status = 'failed' WHERE status = 'interrupted'")
    op.drop_column("planning_runs", "heartbeat_at")

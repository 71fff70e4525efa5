"""The schema, one module per area, all on one MetaData (what Alembic and create_all see).

Quantities and money are BIGINT micro-units (10**-6) so both databases are exact. Every table
carries org_id so the schema can be distributed by organisation.
"""

from onhand.store.tables.acks import exception_acks
from onhand.store.tables.channels import channel_lines
from onhand.store.tables.core import (
    UTCDateTime,
    api_tokens,
    audit_events,
    balances,
    chain_heads,
    checkpoints,
    created_columns,
    id_column,
    item_barcodes,
    items,
    locations,
    lots,
    metadata,
    movement_id_seq,
    movements,
    org_column,
    organisations,
    postings,
    serials,
    user_warehouses,
    users,
)
from onhand.store.tables.counting import (
    classification_runs,
    count_documents,
    count_lines,
    count_records,
    count_settings,
    item_classes,
)
from onhand.store.tables.erp import account_mappings, import_mappings
from onhand.store.tables.events import (
    event_cursors,
    event_prunes,
    events,
    expiry_warnings,
    reorder_flags,
)
from onhand.store.tables.iot import (
    condition_ranges,
    excursion_lots,
    excursion_watches,
    excursions,
    iot_gateways,
    sensor_readings,
    sensor_rollups,
    sensors,
)
from onhand.store.tables.kpis import kpi_settings
from onhand.store.tables.numbering import document_counters
from onhand.store.tables.picking import discrepancies, pick_lists, pick_tasks, shipments
from onhand.store.tables.planning import planning_lines, planning_runs, replenishment_policies
from onhand.store.tables.purchasing import (
    purchase_order_lines,
    purchase_orders,
    receipts,
    supplier_items,
    suppliers,
)
from onhand.store.tables.recalls import recalls
from onhand.store.tables.sales import (
    commitments,
    sales_order_lines,
    sales_orders,
    warehouse_settings,
)
from onhand.store.tables.transfers import transfer_lines, transfers
from onhand.store.tables.valuation import (
    category_methods,
    cost_layers,
    exchange_rates,
    landed_cost_lines,
    landed_costs,
    movement_costs,
    valuation_entries,
    valuation_items,
    valuation_positions,
    valuation_settings,
)
from onhand.store.tables.warehousing import put_away_zones
from onhand.store.tables.webhooks import webhook_attempts, webhook_deliveries, webhook_subscriptions

__all__ = [
    "UTCDateTime",
    "account_mappings",
    "api_tokens",
    "audit_events",
    "balances",
    "category_methods",
    "chain_heads",
    "channel_lines",
    "checkpoints",
    "classification_runs",
    "commitments",
    "condition_ranges",
    "cost_layers",
    "count_documents",
    "count_lines",
    "count_records",
    "count_settings",
    "created_columns",
    "discrepancies",
    "document_counters",
    "event_cursors",
    "event_prunes",
    "events",
    "exception_acks",
    "exchange_rates",
    "excursion_lots",
    "excursion_watches",
    "excursions",
    "expiry_warnings",
    "id_column",
    "import_mappings",
    "iot_gateways",
    "item_barcodes",
    "item_classes",
    "items",
    "kpi_settings",
    "landed_cost_lines",
    "landed_costs",
    "locations",
    "lots",
    "metadata",
    "movement_costs",
    "movement_id_seq",
    "movements",
    "org_column",
    "organisations",
    "pick_lists",
    "pick_tasks",
    "planning_lines",
    "planning_runs",
    "postings",
    "purchase_order_lines",
    "purchase_orders",
    "put_away_zones",
    "recalls",
    "receipts",
    "reorder_flags",
    "replenishment_policies",
    "sales_order_lines",
    "sales_orders",
    "sensor_readings",
    "sensor_rollups",
    "sensors",
    "serials",
    "shipments",
    "supplier_items",
    "suppliers",
    "transfer_lines",
    "transfers",
    "user_warehouses",
    "users",
    "valuation_entries",
    "valuation_items",
    "valuation_positions",
    "valuation_settings",
    "warehouse_settings",
    "webhook_attempts",
    "webhook_deliveries",
    "webhook_subscriptions",
]

"""Stockout censoring: demand observed while an item was out of stock is a lower bound (lost
sales), not low demand. :func:`uncensored` turns observed demand per bucket into an estimate of
what would have been demanded had the item been in stock every day, with a weight that says how
much of each bucket was actually observed.

Rules, per item (row) and bucket (column), with ``in_stock = days - stockout_days``:

- no stockout day: the observed demand, weight 1;
- partly out of stock (0 < in_stock < days): the demand of the in-stock days scaled to the whole
  bucket, ``qty * days / in_stock``, weight ``in_stock / days``;
- wholly out of stock (in_stock = 0): imputed from the item's mean daily demand over all its
  in-stock days of the range, ``rate * days`` with
  ``rate = max(0, sum of qty of buckets with in-stock days / sum of their in-stock days)``, and
  never below what was observed in the bucket; weight 0.

Why the item's own mean rate and not the neighbouring buckets: stockouts come in runs (an item
waits for its next receipt for days or weeks), so the neighbours of a wholly-out bucket are often
censored themselves; the mean of every in-stock day is defined whenever the item was ever in
stock, does not feed censored buckets into each other, and cannot read a lost-sales gap as low
demand. Its cost is that it ignores seasonality inside the gap: the weight of 0 lets a model that
takes weights (or a mask) leave those buckets out instead of trusting the imputation.

An item never in stock in the range has no rate: its buckets keep the observed demand (usually
0) with weight 0, so nothing is invented for it.

The day an item sells out counts as out of stock (docs/replenishment.md), although part of its
demand was served; scaling therefore errs upwards a little, the safe side for lost sales.
"""

from __future__ import annotations

import numpy as np

from onhand.domain.errors import InvalidInput


def _check(qty: np.ndarray, days: np.ndarray, stockout_days: np.ndarray) -> None:
    if qty.ndim != 2 or stockout_days.shape != qty.shape or days.shape != (qty.shape[1],):
        raise InvalidInput(
            "qty and stockout_days must be (items, buckets) and days (buckets,)",
            code="invalid_demand_matrix",
        )
    if not np.all(np.isfinite(qty)):
        raise InvalidInput("demand must be finite numbers", code="invalid_demand_matrix")
    if np.any(days < 1):
        raise InvalidInput("every bucket has at least one day", code="invalid_demand_matrix")
    if np.any(stockout_days < 0) or np.any(stockout_days > days[None, :]):
        raise InvalidInput(
            "stockout days must be between 0 and the days of their bucket",
            code="invalid_demand_matrix",
        )


def uncensored(
    qty: np.ndarray, days: np.ndarray, stockout_days: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(adjusted demand (n, b) float64, weight (n, b) float64 in [0, 1]) from observed demand
    ``qty`` (n, b), the days of each bucket ``days`` (b,) and days out of stock
    ``stockout_days`` (n, b); see the module's docstring for the rules. Vectorised: no loop over
    items or buckets."""
    qty = np.asarray(qty, dtype=np.float64)
    days = np.asarray(days)
    stockout_days = np.asarray(stockout_days)
    _check(qty, days, stockout_days)
    span = np.broadcast_to(days[None, :], qty.shape).astype(np.float64)
    in_stock = span - stockout_days
    seen = in_stock > 0
    # Partly or not at all out of stock: scale the in-stock days' demand to the whole bucket.
    scaled = np.divide(qty * span, in_stock, out=np.zeros_like(qty), where=seen)
    # Wholly out: the item's mean daily demand over its in-stock days, floored at 0.
    stocked_days = in_stock.sum(axis=1)
    stocked_qty = np.where(seen, qty, 0.0).sum(axis=1)
    rate = np.divide(
        stocked_qty, stocked_days, out=np.full(len(qty), np.nan), where=stocked_days > 0
    )
    rate = np.maximum(rate, 0.0)
    imputed = np.maximum(qty, rate[:, None] * span)
    has_rate = np.isfinite(imputed)
    adjusted = np.where(seen, scaled, np.where(has_rate, imputed, qty))
    weight = in_stock / span
    return adjusted, weight

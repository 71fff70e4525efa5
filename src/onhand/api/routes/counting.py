"""The cycle-count programme: settings, ABC/XYZ classes, daily plans, count documents, blind
recording, decisions on variances, accuracy and variance reports."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from fastapi import Path as PathParam

from onhand.api.deps import DB, CurrentActor, KeyHeader, idempotency_key_of
from onhand.api.schemas import Path
from onhand.api.schemas_counting import (
    AbcClass,
    AccuracyRead,
    ClassificationRead,
    ClassifyCreate,
    CountCreate,
    CountCreated,
    CountRead,
    CountRecordCreate,
    CountRecordRead,
    CountSettingsRead,
    CountSettingsUpdate,
    CountStatus,
    CountSummaryRead,
    DecisionCreate,
    Period,
    PlanCreate,
    PlanRead,
    VarianceReportRead,
    XyzClass,
)
from onhand.domain.errors import NotFound
from onhand.services import count_classes, count_reports, count_settings, count_views, counts
from onhand.services.count_plans import create_count, make_daily_plan
from onhand.services.counts import CountEntry

router = APIRouter(tags=["counting"])
Number = Annotated[str, PathParam(max_length=32, description="e.g. CC-000001")]


@router.get("/counting/settings", response_model=CountSettingsRead)
def get_settings(db: DB, actor: CurrentActor) -> Any:
    """Frequencies and tolerances per class, working days, ABC cut-offs and XYZ limits."""
    return count_settings.get_settings(db, actor)


@router.put("/counting/settings", response_model=CountSettingsRead)
def update_settings(body: CountSettingsUpdate, db: DB, actor: CurrentActor) -> Any:
    """Change some settings (managers); what is left out stays as it is."""
    changes: dict[str, Any] = {}
    for name, value in body.model_dump(exclude_unset=True).items():
        if value is None:
            continue
        if isinstance(value, dict):
            value = {k: v for k, v in value.items() if v is not None}
        changes[name] = value
    return count_settings.update_settings(db, actor, changes)


@router.post(
    "/counting/classifications",
    response_model=ClassificationRead,
    status_code=status.HTTP_201_CREATED,
)
def classify(body: ClassifyCreate, db: DB, actor: CurrentActor) -> Any:
    """Classify every item now by consumption value (ABC) and demand variability (XYZ)."""
    return count_classes.classify_items(db, actor, as_of=body.as_of)


@router.get("/counting/classes", response_model=ClassificationRead)
def current_classes(
    db: DB,
    actor: CurrentActor,
    abc: Annotated[AbcClass | None, Query()] = None,
    xyz: Annotated[XyzClass | None, Query()] = None,
) -> Any:
    """The latest classification, items by consumption value, highest first."""
    got = count_classes.current_classes(db, actor, abc=abc, xyz=xyz)
    if got is None:
        raise NotFound("no classification yet: compute one first", code="no_classification")
    return got


@router.post("/counting/plans", response_model=PlanRead)
def make_plan(body: PlanCreate, db: DB, actor: CurrentActor) -> Any:
    """The count documents of a working day (made once: a second call answers the same)."""
    return make_daily_plan(db, actor, day=body.date)


@router.get("/counting/accuracy", response_model=AccuracyRead)
def accuracy(
    db: DB,
    actor: CurrentActor,
    period: Period = "week",
    from_: Annotated[date | None, Query(alias="from")] = None,
    to: date | None = None,
    warehouse: Annotated[Path | None, Query()] = None,
    class_: Annotated[AbcClass | None, Query(alias="class")] = None,
) -> Any:
    """Records within tolerance / records counted (first counts), per period, warehouse and
    class, with the trend in percentage points per period. Default: the last 90 days."""
    return count_reports.accuracy(
        db, actor, period=period, since=from_, until=to, warehouse=warehouse, abc=class_
    )


@router.get("/counting/variances", response_model=VarianceReportRead)
def variances(
    db: DB,
    actor: CurrentActor,
    from_: Annotated[date | None, Query(alias="from")] = None,
    to: date | None = None,
) -> Any:
    """Decided variances with their value at unit cost (managers). Default: the last 30 days."""
    return count_reports.variance_report(db, actor, since=from_, until=to)


@router.post("/counts", response_model=CountCreated, status_code=status.HTTP_201_CREATED)
def create(body: CountCreate, db: DB, actor: CurrentActor) -> Any:
    """An ad-hoc count of a location subtree, an item, or every flagged discrepancy."""
    return create_count(
        db, actor, location=body.location, sku=body.sku, discrepancies=body.discrepancies
    )


@router.get("/counts", response_model=list[CountSummaryRead])
def list_counts(
    db: DB,
    actor: CurrentActor,
    status_: Annotated[CountStatus | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> Any:
    return count_views.list_counts(db, actor, status=status_, limit=limit, offset=offset)


@router.get("/counts/{number}", response_model=CountRead, response_model_exclude_unset=True)
def get_count(number: Number, db: DB, actor: CurrentActor) -> Any:
    """A count and its lines. Book quantities and variances are shown to managers only."""
    return count_views.get_count(db, actor, number)


@router.post(
    "/counts/{number}/records",
    response_model=CountRecordRead,
    response_model_exclude_unset=True,
)
def record(
    number: Number, body: CountRecordCreate, db: DB, actor: CurrentActor, key: KeyHeader = None
) -> Any:
    """Record what was counted at one location, all or nothing (a scanner or an RFID reader
    sends a bin at a time). With an idempotency key a retry records once and answers
    ``replayed``; the same key with other lines is refused."""
    entries = [
        CountEntry(sku=x.sku, quantity=Decimal(x.quantity), lot=x.lot, serial=x.serial)
        for x in body.lines
    ]
    return counts.record_counts(
        db,
        actor,
        number,
        location=body.location,
        entries=entries,
        complete=body.complete,
        idempotency_key=idempotency_key_of(key, body.idempotency_key),
    )


@router.post(
    "/counts/{number}/approve", response_model=CountRead, response_model_exclude_unset=True
)
def approve(number: Number, body: DecisionCreate, db: DB, actor: CurrentActor) -> Any:
    """Approve lines awaiting a decision (managers): each posts its variance with the reason."""
    return counts.approve_lines(db, actor, number, lines=body.lines, reason=body.reason)


@router.post("/counts/{number}/reject", response_model=CountRead, response_model_exclude_unset=True)
def reject(number: Number, body: DecisionCreate, db: DB, actor: CurrentActor) -> Any:
    """Reject lines awaiting a decision (managers): nothing is posted."""
    return counts.reject_lines(db, actor, number, lines=body.lines, reason=body.reason)

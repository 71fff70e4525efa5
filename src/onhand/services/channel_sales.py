"""Sales and refunds from stores and e-commerce channels, posted straight from the store.

A batch of lines from one channel and one store posts its new lines as one posting (all or
nothing): a sale moves stock from the store to @customer, a refund back. Each line is posted at
most once per (organisation, channel, external id): a line sent again with the same content is
a duplicate and skipped, with other content it refuses the batch. The store follows its own rule
on negative stock (a location may allow it; see services.exceptions for the list to review).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from onhand.domain.access import Actor, Permission
from onhand.domain.channel_sales import (
    CUSTOMER,
    REF_TYPE,
    ChannelLine,
    LineIssue,
    LineKind,
    check_batch,
    check_channel,
    check_line,
    content_hash,
    first_error,
    repeated_ids,
    reused_id,
)
from onhand.domain.errors import Conflict, InvalidInput, OnhandError
from onhand.domain.locations import LocationKind, LocationRef
from onhand.domain.movements import MovementDraft, check_draft
from onhand.domain.quantities import to_micro
from onhand.services import postings
from onhand.services.common import utcnow
from onhand.services.postings import MovementInput, write_retrying
from onhand.store import accounts, catalog, channels, sites
from onhand.store.channels import PostedLine
from onhand.store.unit_of_work import Database, UnitOfWork

__all__ = ["ChannelLine", "check_sales", "ingest_sales"]


@dataclass(frozen=True, slots=True)
class _New:
    """A line not posted before: its number in the batch, content hash and movement."""

    line: int
    data: ChannelLine
    digest: str
    move: MovementInput


@dataclass(slots=True)
class _Plan:
    issues: list[LineIssue] = field(default_factory=list)
    known: dict[int, int | None] = field(default_factory=dict)  # line -> earlier movement id
    new: list[_New] = field(default_factory=list)


def _store(uow: UnitOfWork, actor: Actor, path: str) -> LocationRef:
    """The store the lines post from: an active internal location the actor may work in."""
    found = sites.location_refs_by_path(uow.conn, actor.org_id, [path]).get(path)
    if found is None:
        raise InvalidInput(f"store {path[:200]!r} not found", code="store_not_found")
    if found.kind is not LocationKind.INTERNAL:
        raise InvalidInput(
            f"{path!r} is a {found.kind.value} location, not a store's stock location",
            code="not_a_stock_location",
        )
    if not found.active:
        raise InvalidInput(f"store {path!r} is inactive", code="location_inactive")
    actor.require_warehouse(found.warehouse_id, found.path)
    return found


def _movement(store: LocationRef, line: ChannelLine) -> MovementInput:
    sale = line.kind == LineKind.SALE
    return MovementInput(
        sku=line.sku,
        from_location=store.path if sale else CUSTOMER,
        to_location=CUSTOMER if sale else store.path,
        quantity=line.quantity,
        lot=line.lot,
        serial=line.serial,
        effective_at=line.at,
        ref_type=REF_TYPE,
        ref_id=line.external_id,
        reason=line.kind,
    )


def _classify(
    uow: UnitOfWork,
    actor: Actor,
    channel: str,
    store: LocationRef,
    lines: list[ChannelLine],
    now: datetime,
) -> _Plan:
    """Sort the lines into posted before (duplicates), new, and refused (with why)."""
    plan = _Plan()
    bad: dict[int, LineIssue] = {x.line: x for x in repeated_ids(lines)}
    for n, line in enumerate(lines, start=1):
        try:
            check_line(line, now=now)
        except InvalidInput as exc:
            bad.setdefault(n, LineIssue(n, exc.message, exc.code))
    earlier = channels.lines_by_external_id(
        uow.conn,
        actor.org_id,
        channel,
        [x.external_id for n, x in enumerate(lines, 1) if n not in bad],
    )
    candidates = []
    for n, line in enumerate(lines, start=1):
        if n in bad:
            continue
        digest = content_hash(store.path, line)
        posted = earlier.get(line.external_id)
        if posted is None:
            candidates.append((n, line, digest))
        elif posted.payload_hash == digest:
            plan.known[n] = posted.movement_id
        else:
            bad[n] = reused_id(n, channel, line.external_id)
    for issue in _check_new(uow, actor, store, candidates, plan, now):
        bad[issue.line] = issue
    plan.issues = sorted(bad.values(), key=lambda x: x.line)
    return plan


def _check_new(
    uow: UnitOfWork,
    actor: Actor,
    store: LocationRef,
    candidates: list[tuple[int, ChannelLine, str]],
    plan: _Plan,
    now: datetime,
) -> list[LineIssue]:
    """Check the new lines by the posting rules, so that a refusal names the batch's line;
    the good ones join ``plan.new``."""
    conn, org = uow.conn, actor.org_id
    item_map = catalog.item_refs_by_sku(conn, org, [x.sku for _, x, _ in candidates])
    customer = sites.location_refs_by_path(conn, org, [CUSTOMER])[CUSTOMER]
    issues = []
    for n, line, digest in candidates:
        item = item_map.get(line.sku)
        if item is None:
            issues.append(LineIssue(n, f"SKU {line.sku[:80]!r} not found", "sku_not_found"))
            continue
        move = _movement(store, line)
        sale = line.kind == LineKind.SALE
        draft = MovementDraft(
            item=item,
            source=store if sale else customer,
            destination=customer if sale else store,
            quantity=line.quantity,
            lot=line.lot,
            serial=line.serial,
            effective_at=line.at or now,
            ref_type=move.ref_type,
            ref_id=move.ref_id,
            reason=move.reason,
        )
        try:
            check_draft(draft, now=now)
        except InvalidInput as exc:
            issues.append(LineIssue(n, exc.message, exc.code))
            continue
        plan.new.append(_New(n, line, digest, move))
    return issues


def _refuse(issues: list[LineIssue]) -> None:
    error = first_error(issues)
    if error is not None:
        raise error


def _checked_input(actor: Actor, channel: str, lines: list[ChannelLine]) -> None:
    actor.require(Permission.POST_MOVEMENTS)
    check_channel(channel)
    check_batch(len(lines))


def check_sales(
    db: Database, actor: Actor, *, channel: str, store: str, lines: list[ChannelLine]
) -> list[LineIssue]:
    """Every line that would refuse this batch now, and why (nothing is written): for files,
    whose every bad row is reported at once. A bad store or channel raises at once."""
    _checked_input(actor, channel, lines)
    with db.reading() as uow:
        return _classify(uow, actor, channel, _store(uow, actor, store), lines, utcnow()).issues


def ingest_sales(
    db: Database, actor: Actor, *, channel: str, store: str, lines: list[ChannelLine]
) -> dict[str, Any]:
    """Post a batch of sale and refund lines from one channel's store, all or nothing.

    Lines posted before with the same content are skipped and reported as duplicates; so a
    retried batch posts nothing new. A line whose external id was posted with other content, an
    external id twice in the batch, or any invalid line refuses the whole batch, naming the line.
    """
    _checked_input(actor, channel, lines)

    def work(uow: UnitOfWork) -> dict[str, Any]:
        now = utcnow()
        store_ref = _store(uow, actor, store)
        plan = _classify(uow, actor, channel, store_ref, lines, now)
        _refuse(plan.issues)
        posting_id = _post_new(uow, actor, channel, plan, now)
        return _result(channel, store_ref, lines, plan, posting_id)

    return write_retrying(db, work)


def _post_new(
    uow: UnitOfWork, actor: Actor, channel: str, plan: _Plan, now: datetime
) -> int | None:
    """Claim the new lines, then post them as one posting; the posting id (None: nothing new).

    The claim comes first so that a concurrent batch sharing lines waits for this one and then
    finds them posted, rather than posting them twice (see store.channels.claim_lines).
    """
    conn, org = uow.conn, actor.org_id
    claimed = channels.claim_lines(conn, [_claim(org, channel, x, now) for x in plan.new])
    lost = [x for x in plan.new if x.data.external_id not in claimed]
    if lost:  # posted meanwhile by a concurrent batch (PostgreSQL): duplicates, or conflicts
        _settle_lost(uow, actor, channel, plan, lost)
    mine = [x for x in plan.new if x.data.external_id in claimed]
    plan.new = mine
    if not mine:
        return None
    try:
        posted = postings.post_in(
            uow,
            actor,
            [x.move for x in mine],
            idempotency_key=f"channel:{channel}:{uuid.uuid4()}",
        )
    except OnhandError as exc:
        raise _renumbered(exc, mine) from None
    ids = dict(zip([x.data.external_id for x in mine], posted.movement_ids, strict=True))
    channels.set_movements(conn, org, channel, ids)
    accounts.record_audit(
        conn,
        org_id=org,
        actor_id=actor.user_id,
        at=now,
        action="ingest",
        entity="channel",
        entity_id=channel,
        detail={"posting_id": posted.posting_id, "lines": len(mine)},
    )
    for x, mid in zip(mine, posted.movement_ids, strict=True):
        plan.known[x.line] = mid
    return posted.posting_id


def _claim(org: int, channel: str, new: _New, now: datetime) -> dict[str, Any]:
    price = new.data.unit_price
    return {
        "org_id": org,
        "channel": channel,
        "external_id": new.data.external_id,
        "kind": new.data.kind,
        "payload_hash": new.digest,
        "movement_id": None,  # set once the posting has its movements
        "unit_price": to_micro(price) if price is not None else None,
        "posted_at": now,
    }


def _settle_lost(
    uow: UnitOfWork, actor: Actor, channel: str, plan: _Plan, lost: list[_New]
) -> None:
    """Lines a concurrent batch posted after we looked: duplicates if equal, else refused."""
    now_posted: dict[str, PostedLine] = channels.lines_by_external_id(
        uow.conn, actor.org_id, channel, [x.data.external_id for x in lost]
    )
    issues = []
    for x in lost:
        other = now_posted.get(x.data.external_id)
        if other is None:  # skipped by the insert, yet not there: not expected, but retryable
            raise Conflict("a concurrent batch got in the way; retry", code="write_conflict")
        if other.payload_hash == x.digest:
            plan.known[x.line] = other.movement_id
        else:
            issues.append(reused_id(x.line, channel, x.data.external_id))
    _refuse(issues)


def _renumbered(exc: OnhandError, mine: list[_New]) -> OnhandError:
    """A posting error naming a movement by its place in the posting names the batch line."""
    k = exc.extra.get("line")
    if not isinstance(k, int) or not 1 <= k <= len(mine):
        return exc
    n = mine[k - 1].line
    message = f"line {n}: {exc.message.removeprefix(f'movement {k}: ')}"
    return type(exc)(message, code=exc.code, **(exc.extra | {"line": n}))


def _result(
    channel: str,
    store: LocationRef,
    lines: list[ChannelLine],
    plan: _Plan,
    posting_id: int | None,
) -> dict[str, Any]:
    new = {x.line for x in plan.new}
    out = [
        {
            "line": n,
            "external_id": line.external_id,
            "status": "posted" if n in new else "duplicate",
            "movement_id": plan.known.get(n),
        }
        for n, line in enumerate(lines, start=1)
    ]
    return {
        "channel": channel,
        "store": store.path,
        "posting_id": posting_id,
        "posted": len(new),
        "duplicates": len(lines) - len(new),
        "lines": out,
    }

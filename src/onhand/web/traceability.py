"""The trace page: where a lot or serial came from (receipts), where it went (transfers,
customers, scrap and adjustments), where it is now and the reconciliation of it all; for
managers, the recall that holds it everywhere and its release; and the proof to download."""

from __future__ import annotations

import json
import re
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from onhand.domain.access import Permission
from onhand.domain.errors import InvalidInput, OnhandError
from onhand.services import recalls, trace_proofs, traceability
from onhand.web import order_forms as forms
from onhand.web import session as sessions
from onhand.web.auth import see_other
from onhand.web.render import db_of, page
from onhand.web.session import Session

router = APIRouter(include_in_schema=False)

Text = Annotated[str, Form()]
FIELD_MAX = 64  # SKU, lot and serial: the API's limits
SHOWN = 200  # movements listed on the page; the API and the proof carry every one


def _values(sku: str, lot: str, serial: str) -> dict[str, str]:
    return {"sku": sku.strip()[:FIELD_MAX], "lot": lot.strip()[:FIELD_MAX],
            "serial": serial.strip()[:FIELD_MAX]}  # fmt: skip


def _query(values: dict[str, str], **extra: str) -> str:
    """The page's address for these values (empty ones left out)."""
    return "/trace?" + urlencode({k: v for k, v in {**values, **extra}.items() if v})


def _trace_page(
    request: Request,
    session: Session,
    values: dict[str, str],
    *,
    refused: forms.Refusal | None = None,
    typed: dict[str, str] | None = None,
) -> Response:
    """The page: the question's form, and the trace when it names a lot or serial; ``refused``
    is a recall or release form's refusal, shown beside that form with what was ``typed``."""
    db, actor = db_of(request), session.actor
    t, error, status = None, None, 200
    if values["sku"]:
        try:
            t = traceability.trace(
                db,
                actor,
                sku=values["sku"],
                lot=values["lot"] or None,
                serial=values["serial"] or None,
                movements=SHOWN,
            )
        except OnhandError as exc:
            error = forms.refusal(exc)
            status = error.status
    if refused is not None:
        status = refused.status
    what = ""
    if t is not None:
        what = f"lot {t['lot']['code']}" if t["lot"] else f"serial {t['serial']['serial']}"
    return page(
        request,
        "trace.html",
        session,
        status_code=status,
        values=values,
        t=t,
        what=what,
        error=error,
        refused=refused,
        typed=typed or {},
        may_recall=actor.may(Permission.MANAGE_RECALLS),
        shown=SHOWN,
    )


@router.get("/trace")
def trace_page(request: Request, sku: str = "", lot: str = "", serial: str = "") -> Response:
    """The trace of the lot (or serial) named, or the empty question."""
    session = sessions.require(db_of(request), request)
    return _trace_page(request, session, _values(sku, lot, serial))


def _done(values: dict[str, str], message: str) -> Response:
    return see_other(_query(values, msg=forms.sentence(message)) + "#recall-h")


@router.post("/trace/recall")
def recall_lot(
    request: Request,
    csrf: Text = "",
    sku: Text = "",
    lot: Text = "",
    serial: Text = "",
    reason: Text = "",
) -> Response:
    """Recall the traced lot or serial, or show the page again with the sentence."""
    db = db_of(request)
    session = sessions.acting(db, request, csrf)
    values = _values(sku, lot, serial)
    try:
        if not reason.strip():
            raise InvalidInput("give the reason for the recall", code="missing_reason")
        done = recalls.recall(
            db,
            session.actor,
            sku=values["sku"],
            lot=values["lot"] or None,
            serial=values["serial"] or None,
            reason=reason,
        )
    except OnhandError as exc:
        if exc.kind == "forbidden":
            raise  # the 403 page
        refused = forms.refusal(exc)
        return _trace_page(request, session, values, refused=refused, typed={"reason": reason})
    if done["replayed"]:
        return _done(values, f"{done['number']} was already open: nothing changed")
    count = len(done["customers"])
    return _done(
        values,
        f"Recall {done['number']} is open: {done['remaining_total'].normalize():f} on hold, "
        f"{count} customer{'s' if count != 1 else ''} to contact",
    )


@router.post("/trace/release")
def release_recall(
    request: Request,
    csrf: Text = "",
    number: Text = "",
    note: Text = "",
    sku: Text = "",
    lot: Text = "",
    serial: Text = "",
) -> Response:
    """Release the lot's open recall, or show the page again with the sentence."""
    db = db_of(request)
    session = sessions.acting(db, request, csrf)
    values = _values(sku, lot, serial)
    try:
        done = recalls.release_recall(db, session.actor, number.strip()[:32], note=note or None)
    except OnhandError as exc:
        if exc.kind == "forbidden":
            raise
        refused = forms.refusal(exc)
        return _trace_page(request, session, values, refused=refused, typed={"note": note})
    return _done(values, f"Recall {done['number']} is released")


@router.get("/trace/proof.json")
def proof_download(request: Request, sku: str = "", lot: str = "", serial: str = "") -> Response:
    """The trace's proof as a file to hand to a partner (refusals: the error page)."""
    db = db_of(request)
    session = sessions.require(db, request)
    values = _values(sku, lot, serial)
    doc = trace_proofs.export_proof(
        db,
        session.actor,
        sku=values["sku"],
        lot=values["lot"] or None,
        serial=values["serial"] or None,
    )
    name = re.sub(
        r"[^A-Za-z0-9._-]+", "_", f"trace-{values['sku']}-{values['lot'] or values['serial']}"
    )
    return Response(
        json.dumps(doc, indent=1, ensure_ascii=False),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{name}.json"'},
    )

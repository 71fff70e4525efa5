"""GS1 barcodes: GTIN check digits and GS1 element strings (GS1-128, GS1 DataMatrix, GS1 QR).

What a scanner gives is read into a plain ``Scan``: a GTIN (EAN-8, UPC-A, EAN-13 or GTIN-14,
normalised to GTIN-14), a GS1 element string (raw, with FNC1 as ASCII 29 between fields, or in
the human-readable form ``(01)...(10)...``), or plain text (an internal Code 128 code, a bin
path). Symbology identifiers (``]C1``, ``]d2``, ``]Q3``, ``]e0``, ...) are accepted and removed.

The Application Identifier table (which AIs exist, their lengths and character sets) is the
GS1 one that biip ships; the reading rules (predefined lengths, separators, check digits, the
expiry date's day 00 and century) are here, so that each error names what is wrong and where.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import lru_cache

from biip import ParseError
from biip.gs1_application_identifiers import GS1ApplicationIdentifier

from onhand.domain.errors import InvalidInput

GS = "\x1d"  # FNC1 as a scanner transmits it between fields
GS1_SYMBOLOGIES = frozenset({"]C1", "]d2", "]Q3", "]e0", "]e1", "]J1"})
GTIN_LENGTHS = frozenset({8, 12, 13, 14})
_SYMBOLOGY_RE = re.compile(r"^\][A-Za-z][0-9A-Za-z]")
_HRI_AI_RE = re.compile(r"\((\d{2,4})\)")
_LENGTH_RE = re.compile(r"([NX])(\.\.)?(\d+)")


class Gs1Error(InvalidInput):
    """A barcode that cannot be read: the code says why, the message says where."""

    code = "gs1_invalid"


def _error(code: str, message: str, **extra: object) -> Gs1Error:
    return Gs1Error(message, code=code, **extra)


def check_digit(digits: str) -> int:
    """The GS1 mod-10 check digit of ``digits`` (without it): weights 3, 1, 3, ... from the
    right, as for GTIN, SSCC and GLN."""
    total = 0
    for n, ch in enumerate(reversed(digits)):
        total += (ord(ch) - 48) * (3 if n % 2 == 0 else 1)
    return (10 - total % 10) % 10


def _verify(code: str, what: str, *, ai: str | None = None, position: int = 0) -> str:
    expected = check_digit(code[:-1])
    if int(code[-1]) != expected:
        where = f"({ai}) at position {position}: " if ai else ""
        raise _error(
            "gs1_check_digit",
            f"{where}{what} {code} has check digit {code[-1]}, expected {expected}",
            ai=ai,
            position=position,
        )
    return code


def gtin14(code: str) -> str:
    """A GTIN-8, -12 (UPC-A), -13 (EAN-13) or -14 as GTIN-14, check digit verified."""
    if not code.isascii() or not code.isdigit() or len(code) not in GTIN_LENGTHS:
        raise _error("gs1_invalid", f"{code[:40]!r} is not a GTIN: 8, 12, 13 or 14 digits")
    _verify(code, f"GTIN-{len(code)}")
    return code.zfill(14)


def gtin_forms(gtin: str) -> list[str]:
    """Every form a GTIN-14 may have been entered in: itself, EAN-13, UPC-A and EAN-8 where
    its leading zeros allow it."""
    forms = [gtin]
    for length in (13, 12, 8):
        if gtin[: 14 - length] == "0" * (14 - length):
            forms.append(gtin[14 - length :])
    return forms


def as_gtin14(code: str) -> str | None:
    """``code`` as a GTIN-14 if it is a GTIN with a valid check digit, else None."""
    is_gtin = len(code) in GTIN_LENGTHS and code.isascii() and code.isdigit()
    return code.zfill(14) if is_gtin and check_digit(code[:-1]) == int(code[-1]) else None


@dataclass(frozen=True, slots=True)
class _Ai:
    ai: str
    title: str
    fixed: int | None  # data length of a predefined-length AI
    max_length: int
    pattern: re.Pattern[str]


@lru_cache(maxsize=4096)
def _ai_at(prefix: str) -> _Ai | None:
    """The AI that ``prefix`` (the next up to 4 characters) starts with, if any."""
    if not prefix[:2].isdigit():
        return None
    try:
        found = GS1ApplicationIdentifier.extract(prefix)
    except ParseError:
        return None
    lengths = [int(n) for _, _, n in _LENGTH_RE.findall(found.format)][1:]
    return _Ai(
        ai=found.ai,
        title=found.data_title,
        fixed=None if found.separator_required else sum(lengths),
        max_length=sum(lengths),
        pattern=re.compile(found.pattern, re.ASCII),
    )


@dataclass(frozen=True, slots=True)
class Scan:
    """What a barcode says. ``kind`` is ``gtin`` (a bare GTIN), ``gs1`` (an element string) or
    ``text`` (anything else: an internal code, a location path)."""

    kind: str
    raw: str
    gtin: str | None = None
    sscc: str | None = None
    lot: str | None = None
    expiry: date | None = None
    serial: str | None = None
    count: Decimal | None = None
    ais: dict[str, str] = field(default_factory=dict)
    symbology: str | None = None


def _unknown(ai_text: str, position: int) -> Gs1Error:
    return _error(
        "gs1_unknown_ai",
        f"no GS1 application identifier starts with {ai_text!r} at position {position}",
        position=position,
    )


def _check_value(ai: _Ai, value: str, position: int) -> None:
    if not value:
        raise _error(
            "gs1_truncated",
            f"({ai.ai}) {ai.title} at position {position} has no data",
            ai=ai.ai,
            position=position,
        )
    if ai.fixed is not None and len(value) < ai.fixed:
        raise _error(
            "gs1_truncated",
            f"({ai.ai}) {ai.title} at position {position} needs {ai.fixed} characters, "
            f"got {len(value)}",
            ai=ai.ai,
            position=position,
        )
    if len(value) > ai.max_length:
        raise _error(
            "gs1_invalid",
            f"({ai.ai}) {ai.title} at position {position} is longer than {ai.max_length} "
            "characters",
            ai=ai.ai,
            position=position,
        )
    if not ai.pattern.fullmatch(ai.ai + value):
        raise _error(
            "gs1_invalid",
            f"({ai.ai}) {ai.title} at position {position}: {value[:40]!r} is not valid for it",
            ai=ai.ai,
            position=position,
        )


def _split_raw(body: str, offset: int) -> list[tuple[_Ai, str, int]]:
    """Fields of a raw element string: predefined-length AIs need no separator, the others end
    at a GS (FNC1) or at the end."""
    fields = []
    i = 0
    while i < len(body):
        if body[i] == GS:  # a leading or doubled FNC1 is allowed and means nothing
            i += 1
            continue
        ai = _ai_at(body[i : i + 4])
        if ai is None and len(body) - i < 4 and body[i:].isdigit():
            raise _error(
                "gs1_truncated",
                f"the scan ends in an incomplete application identifier {body[i:]!r} at "
                f"position {offset + i}",
                position=offset + i,
            )
        if ai is None:
            raise _unknown(body[i : i + 4], offset + i)
        start = i + len(ai.ai)
        if ai.fixed is not None:
            end = start + ai.fixed
            value = body[start:end]
            if GS in value:
                value = value[: value.index(GS)]
                end = start + len(value)
        else:
            stop = body.find(GS, start)
            end = len(body) if stop < 0 else stop
            value = body[start:end]
        _check_value(ai, value, offset + i)
        fields.append((ai, value, offset + i))
        i = end
    return fields


def _split_hri(body: str, offset: int) -> list[tuple[_Ai, str, int]]:
    """Fields of the human-readable form: ``(AI)value(AI)value``."""
    marks = list(_HRI_AI_RE.finditer(body))
    if not marks or marks[0].start() != 0:
        raise _error(
            "gs1_invalid",
            f"{body[:40]!r} is not in the form (AI)value(AI)value",
            position=offset,
        )
    fields = []
    for n, m in enumerate(marks):
        end = marks[n + 1].start() if n + 1 < len(marks) else len(body)
        ai = _ai_at(m.group(1))
        if ai is None or ai.ai != m.group(1):
            raise _error(
                "gs1_unknown_ai",
                f"({m.group(1)}) at position {offset + m.start()} is not a GS1 application "
                "identifier",
                position=offset + m.start(),
            )
        value = body[m.end() : end]
        _check_value(ai, value, offset + m.start())
        fields.append((ai, value, offset + m.start()))
    return fields


def expiry_date(yymmdd: str, *, today: date) -> date:
    """A GS1 date (YYMMDD): the century is the one that puts it within 49 years back and 50
    ahead of today; day 00 means the last day of the month."""
    yy, mm, dd = int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:6])
    century = today.year - today.year % 100
    diff = yy - today.year % 100
    if diff >= 51:
        century -= 100
    elif diff <= -50:
        century += 100
    year = century + yy
    if dd == 0:
        dd = calendar.monthrange(year, mm)[1]
    return date(year, mm, dd)


def _interpret(
    raw: str, symbology: str | None, fields: list[tuple[_Ai, str, int]], today: date
) -> Scan:
    ais: dict[str, str] = {}
    values: dict[str, object] = {}
    for ai, value, position in fields:
        if ai.ai in ais:
            if ais[ai.ai] != value:
                raise _error(
                    "gs1_invalid",
                    f"({ai.ai}) appears twice with different values",
                    ai=ai.ai,
                    position=position,
                )
            continue
        ais[ai.ai] = value
        if ai.ai in ("01", "02"):
            values["gtin"] = _verify(value, "GTIN", ai=ai.ai, position=position)
        elif ai.ai == "00":
            values["sscc"] = _verify(value, "SSCC", ai=ai.ai, position=position)
        elif ai.ai in ("10", "21"):
            values["lot" if ai.ai == "10" else "serial"] = value
        elif ai.ai == "17":
            try:
                values["expiry"] = expiry_date(value, today=today)
            except ValueError:
                raise _error(
                    "gs1_invalid",
                    f"(17) expiry date at position {position}: {value} is not a date",
                    ai="17",
                    position=position,
                ) from None
        elif ai.ai in ("30", "37"):
            values["count"] = Decimal(int(value))
    return Scan(kind="gs1", raw=raw, ais=ais, symbology=symbology, **values)  # type: ignore[arg-type]


def looks_like_gs1(code: str) -> bool:
    """Whether ``code`` announces itself as GS1 (symbology identifier, FNC1, ``(AI)``)."""
    return (
        code[:3] in GS1_SYMBOLOGIES
        or GS in code
        or (code.startswith("(") and _HRI_AI_RE.match(code) is not None)
    )


def parse_scan(code: str, *, today: date | None = None) -> Scan:
    """Read what a scanner sent (see the module docstring); a GS1 string that is wrong in any
    way raises ``Gs1Error`` with ``gs1_check_digit``, ``gs1_unknown_ai``, ``gs1_truncated`` or
    ``gs1_invalid`` and the position of the field."""
    today = today or date.today()
    symbology = None
    body = code
    if _SYMBOLOGY_RE.match(code):
        symbology, body = code[:3], code[3:]
    offset = len(code) - len(body)
    if not body:
        raise _error("gs1_truncated", "the scan is empty", position=offset)
    gs1 = symbology in GS1_SYMBOLOGIES or body[0] == GS
    if body.startswith("(") and _HRI_AI_RE.match(body):
        return _interpret(code, symbology, _split_hri(body, offset), today)
    if gs1 or GS in body:
        return _interpret(code, symbology, _split_raw(body, offset), today)
    if body.isascii() and body.isdigit() and len(body) in GTIN_LENGTHS:
        return Scan(kind="gtin", raw=code, gtin=gtin14(body), symbology=symbology)
    if body.isascii() and body.isdigit() and len(body) > 14 and body[:2] in ("00", "01", "02"):
        # An element string from a scanner that sends no symbology identifier.
        return _interpret(code, symbology, _split_raw(body, offset), today)
    return Scan(kind="text", raw=code, symbology=symbology)


def element_string(ais: list[tuple[str, str]]) -> tuple[str, str]:
    """(human-readable form, raw form with GS after each variable-length field but the last)
    of AI/value pairs; each value is checked as a scan would be."""
    hri, raw = [], []
    for n, (code, value) in enumerate(ais):
        ai = _ai_at(code)
        if ai is None or ai.ai != code:
            raise _unknown(code, 0)
        _check_value(ai, value, 0)
        hri.append(f"({code}){value}")
        raw.append(code + value + (GS if ai.fixed is None and n + 1 < len(ais) else ""))
    return "".join(hri), "".join(raw)

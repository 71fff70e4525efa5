"""The accounting journal of the stock valuation: which accounts each valuation entry debits and
credits, the organisation's account mapping, and rounding to cents so that every journal
balances and ties out with the valuation reports.

Every valuation entry changes the stock's book value by ``value`` and charges ``expense`` to the
profit and loss; the rest, ``-(value + expense)``, is owed to or by someone else (the supplier for
goods received and not invoiced yet, the carrier for a landed cost, the other warehouse for a
transfer). So each entry gives up to three lines, debits positive:

    inventory (of its scope)   value
    its expense account        expense
    its offset account         -(value + expense)

which always add up to zero. Journals are summed per period in micro-units and rounded to cents
line by line; the cents lost in rounding are put back on the lines the reports are read from
(inventory, cost of goods sold, shrinkage, price variance: source ``rounding``) and whatever is
left to balance goes to the ``rounding`` account.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from onhand.domain.errors import InvalidInput
from onhand.domain.quantities import from_micro
from onhand.domain.valuation import Kind

# Role -> (default account code, what it holds). Codes follow a common chart: 1xxx assets,
# 2xxx liabilities, 5xxx cost of sales and inventory expenses.
ROLES: dict[str, tuple[str, str]] = {
    "inventory": ("1400", "stock held in warehouses, at its book value"),
    "inventory_in_transit": ("1410", "stock on its way between warehouses (transit locations)"),
    "goods_received_not_invoiced": (
        "2100",
        "what received goods cost, until the supplier's invoice is booked",
    ),
    "supplier_returns": ("2100", "goods sent back to suppliers, until their credit note"),
    "landed_cost_accrual": ("2110", "freight, duty and handling added to stock, until invoiced"),
    "transfer_clearing": ("1490", "transfers between warehouses (nets to zero over them)"),
    "cost_of_goods_sold": ("5000", "the cost of the goods sold (and landed costs of sold goods)"),
    "customer_returns": ("5000", "the cost of goods customers returned (credits)"),
    "inventory_adjustment": ("5100", "count differences and other adjustments (shrinkage)"),
    "scrap": ("5110", "goods scrapped (shrinkage)"),
    "purchase_price_variance": ("5200", "standard cost against the price paid"),
    "revaluation": ("5300", "changes of valuation method or standard cost"),
    "rounding": ("5900", "cents lost rounding a journal to whole cents"),
}
DEFAULT_ACCOUNTS = {role: code for role, (code, _) in ROLES.items()}
DEFAULT_PREFIX = "INV"
MAX_CODE = 40
MAX_WAREHOUSES = 1000

# What a line records, in the order journals list them.
SOURCES = (
    "receipt",
    "supplier_return",
    "landed_cost",
    "purchase_price_variance",
    "sale",
    "customer_return",
    "settlement",
    "adjustment",
    "scrap",
    "transfer",
    "revaluation",
    "rounding",
)
ROLE_ORDER = {role: n for n, role in enumerate(ROLES)}
SOURCE_ORDER = {source: n for n, source in enumerate(SOURCES)}

# The report figures a journal ties out with, and the roles whose lines make each up.
INVENTORY_ROLES = frozenset({"inventory", "inventory_in_transit"})
COGS_ROLES = frozenset({"cost_of_goods_sold", "customer_returns"})
SHRINK_ROLES = frozenset({"inventory_adjustment", "scrap"})
PPV_ROLES = frozenset({"purchase_price_variance"})

# Entry kind -> (source, expense role, offset role). Receipts' offset depends on the origin.
_RULES: dict[Kind, tuple[str, str | None, str | None]] = {
    Kind.RECEIPT: ("receipt", None, "goods_received_not_invoiced"),
    Kind.SUPPLIER_RETURN: ("supplier_return", None, "supplier_returns"),
    Kind.LANDED_COST: ("landed_cost", "cost_of_goods_sold", "landed_cost_accrual"),
    Kind.ISSUE: ("sale", "cost_of_goods_sold", None),
    Kind.CUSTOMER_RETURN: ("customer_return", "customer_returns", None),
    Kind.SETTLEMENT: ("settlement", "cost_of_goods_sold", None),
    Kind.ADJUSTMENT: ("adjustment", "inventory_adjustment", None),
    Kind.SCRAP: ("scrap", "scrap", None),
    Kind.TRANSFER_OUT: ("transfer", None, "transfer_clearing"),
    Kind.TRANSFER_IN: ("transfer", None, "transfer_clearing"),
    Kind.REVALUATION: ("revaluation", "revaluation", None),
}
# A price variance is owed to whoever the stock's price came from: the supplier (a receipt at
# another price than standard), the carrier (a landed cost under standard cost), or nobody
# outside (stock coming back from a customer or a count at another cost): a revaluation.
_PPV_OFFSETS = {"supplier": "goods_received_not_invoiced", "landed_cost": "landed_cost_accrual"}

# (role, source, ...): a line of a journal before its amount.
Key = tuple[str, ...]


def inventory_role(scope_kind: str) -> str:
    """The inventory account role of a scope: transit locations hold stock in transit."""
    return "inventory_in_transit" if scope_kind == "transit" else "inventory"


def entry_lines(
    kind: Kind, origin: str, value: int, expense: int, inventory: str
) -> list[tuple[str, str, int]]:
    """The journal lines of valuation entries of one kind and origin (summed): (role, source,
    amount in micro-units, debit positive); they add up to zero."""
    if kind is Kind.PPV:
        source, expense_role = "purchase_price_variance", "purchase_price_variance"
        offset_role: str | None = _PPV_OFFSETS.get(origin, "revaluation")
    else:
        source, expense_role, offset_role = _RULES[kind]
    offset = -(value + expense)
    out = [(inventory, source, value)]
    if expense_role is not None:
        out.append((expense_role, source, expense))
    elif expense:
        raise ValueError(f"{kind} entries charge no expense")
    if offset_role is not None:
        out.append((offset_role, source, offset))
    elif offset:
        raise ValueError(f"{kind} entries change the book value by their expense")
    return [line for line in out if line[2]]


def cents(micro: int) -> int:
    """Micro-units to whole cents, rounded as the valuation reports round (half to even)."""
    return int(from_micro(micro, 2).scaleb(2))


def money_of(cents_: int) -> Decimal:
    """Whole cents as a Decimal amount with two places."""
    return Decimal(cents_).scaleb(-2).quantize(Decimal("0.01"))


@dataclass(frozen=True, slots=True)
class Target:
    """A report figure the journal must show exactly: the lines of ``roles`` add up to
    ``cents``; the difference rounding made goes on ``fix_role``."""

    roles: frozenset[str]
    cents: int
    fix_role: str


def round_lines(
    amounts: Mapping[Key, int], targets: list[Target], fix_key: Callable[[str], Key]
) -> dict[Key, int]:
    """Lines in micro-units (keys starting with the role) rounded to cents, then settled."""
    out: dict[Key, int] = {}
    for key, micro in amounts.items():
        _add(out, key, cents(micro))
    return settle(out, targets, fix_key)


def settle(
    lines: dict[Key, int], targets: list[Target], fix_key: Callable[[str], Key]
) -> dict[Key, int]:
    """Lines in cents (keys starting with the role) with rounding lines added, at ``fix_key``
    of a role, so that each target's roles add up to its figure and the journal balances
    (debits = credits: the rest on the ``rounding`` role)."""
    out = dict(lines)
    for t in targets:
        got = sum(c for key, c in out.items() if key[0] in t.roles)
        _add(out, fix_key(t.fix_role), t.cents - got)
    _add(out, fix_key("rounding"), -sum(out.values()))
    return out


def _add(lines: dict[Key, int], key: Key, amount: int) -> None:
    if not amount:
        return
    total = lines.get(key, 0) + amount
    if total:
        lines[key] = total
    else:
        lines.pop(key, None)


# The account mapping ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AccountMapping:
    """Account codes per role, per-warehouse overrides, and the journal reference's prefix."""

    accounts: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_ACCOUNTS))
    warehouses: dict[str, dict[str, str]] = field(default_factory=dict)
    journal_prefix: str = DEFAULT_PREFIX

    def account(self, role: str, warehouse: str | None) -> str:
        """The account code of a role, the warehouse's own where it has one."""
        if warehouse is not None:
            own = self.warehouses.get(warehouse, {}).get(role)
            if own is not None:
                return own
        return self.accounts[role]

    def as_dict(self) -> dict[str, Any]:
        """The mapping as plain JSON-ready data."""
        return {
            "accounts": dict(self.accounts),
            "warehouses": {w: dict(r) for w, r in sorted(self.warehouses.items())},
            "journal_prefix": self.journal_prefix,
        }


def check_role(role: str) -> str:
    """``role`` if it is an account role, else a typed error naming the roles."""
    if role not in ROLES:
        raise InvalidInput(
            f"{role[:60]!r} is not an account role: one of {', '.join(ROLES)}",
            code="unknown_account_role",
        )
    return role


def check_code(code: object, role: str) -> str:
    """An account code: 1-40 printable characters, no leading or trailing spaces."""
    if not isinstance(code, str) or not code.strip():
        raise InvalidInput(
            f"the account of {role} must be a code such as 1400", code="invalid_account"
        )
    if (
        len(code) > MAX_CODE
        or code != code.strip()
        or any(ord(ch) < 32 or ord(ch) == 127 for ch in code)
    ):
        raise InvalidInput(
            f"the account of {role} must be 1-{MAX_CODE} printable characters without "
            "surrounding spaces",
            code="invalid_account",
        )
    return code


def check_prefix(prefix: object) -> str:
    """A journal reference prefix: 1-20 letters, digits, '-' or '_'."""
    if (
        not isinstance(prefix, str)
        or not 1 <= len(prefix) <= 20
        or not all(ch.isascii() and (ch.isalnum() or ch in "-_") for ch in prefix)
    ):
        raise InvalidInput(
            "journal_prefix must be 1-20 letters, digits, '-' or '_'", code="invalid_journal_prefix"
        )
    return prefix


def check_accounts(accounts: Mapping[str, object]) -> dict[str, str]:
    """Role -> code, each role known and each code well-formed."""
    return {check_role(role): check_code(code, role) for role, code in accounts.items()}


def mapping_of(data: Mapping[str, Any]) -> AccountMapping:
    """A stored or given mapping ({accounts, warehouses, journal_prefix}) on top of the
    defaults, checked."""
    accounts = dict(DEFAULT_ACCOUNTS) | check_accounts(data.get("accounts") or {})
    warehouses_in = data.get("warehouses") or {}
    if len(warehouses_in) > MAX_WAREHOUSES:
        raise InvalidInput(
            f"at most {MAX_WAREHOUSES} warehouses have accounts of their own",
            code="invalid_account_mapping",
        )
    warehouses = {str(w): check_accounts(r) for w, r in warehouses_in.items()}
    prefix = check_prefix(data.get("journal_prefix") or DEFAULT_PREFIX)
    return AccountMapping(accounts, warehouses, prefix)

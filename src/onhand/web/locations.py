"""Locations: the warehouse trees with what each location holds (a collapsible tree, no
script), and a location's page: its details, the locations below it, what is in it and its
sensors' readings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from onhand.services import locations, queries
from onhand.web import session as sessions
from onhand.web.render import db_of, page
from onhand.web.sensor_charts import sensors_here

router = APIRouter(include_in_schema=False)

TREE_LIMIT = 1000  # locations drawn in one tree; the page of a location below shows the rest
CONTENT_LINES = 500  # lines of a location's contents shown


@dataclass(slots=True)
class Node:
    """A location of the tree with the locations right below it."""

    location: dict[str, Any]
    children: list[Node] = field(default_factory=list)


def tree_of(rows: list[dict[str, Any]]) -> list[Node]:
    """Nest locations listed in path order (a parent before its children); a location whose
    parent is not listed (the top of a subtree) is a root."""
    nodes: dict[str, Node] = {}
    roots: list[Node] = []
    for row in rows:
        node = Node(row)
        nodes[row["path"]] = node
        parent = nodes.get(row["path"].rpartition("/")[0])
        (parent.children if parent is not None else roots).append(node)
    return roots


@router.get("/locations")
def location_tree(request: Request) -> Response:
    """The warehouse trees (the user's warehouses) with what each location holds."""
    db = db_of(request)
    session = sessions.require(db, request)
    tree = locations.location_tree(db, session.actor, limit=TREE_LIMIT)
    return page(
        request,
        "locations.html",
        session,
        roots=tree_of(tree["locations"]),
        shown=len(tree["locations"]),
        total=tree["total"],
    )


@router.get("/locations/{path:path}")
def location_page(request: Request, path: str) -> Response:
    """One location: its details, the tree below it and its contents."""
    db = db_of(request)
    session = sessions.require(db, request)
    actor = session.actor
    here = locations.get_location(db, actor, path=path)  # unknown: the 404 page
    # A location outside the user's warehouses: the 403 page (before anything is shown).
    contents = queries.on_hand_by_location(db, actor, here["path"])
    below: list[Node] = []
    shown = total = 0
    if here["warehouse_id"] is not None:
        tree = locations.location_tree(db, actor, under=here["path"], limit=TREE_LIMIT)
        rows = tree["locations"]
        top, rows = rows[0], rows[1:]  # the location itself comes first (path order)
        here = here | {k: top[k] for k in ("items", "quantity", "own_quantity")}
        below, shown, total = tree_of(rows), len(rows), tree["total"] - 1
    parts = here["path"].split("/")
    crumbs = [("/".join(parts[: i + 1]), p) for i, p in enumerate(parts[:-1])]
    return page(
        request,
        "location.html",
        session,
        here=here,
        crumbs=crumbs,
        lines=contents["lines"][:CONTENT_LINES],
        line_count=len(contents["lines"]),
        roots=below,
        shown=shown,
        total=total,
        iot=sensors_here(db, actor, here["path"]) if here["warehouse_id"] is not None else None,
    )

"""`onhand demo`: build a demo organisation with a year of history, verify it and serve it."""

from __future__ import annotations

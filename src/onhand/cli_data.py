"""`onhand import` and `onhand export`: CSV in and out of an organisation."""

from __future__ import annotations

"""onhand: inventory management on a verifiable double-entry stock ledger."""

__version__ = "0.1.0"

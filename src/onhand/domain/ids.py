"""The ranges of ids: master data has 32-bit ids; movements, postings and deliveries 64-bit."""

MAX_ID = 2**31 - 1
MAX_BIG_ID = 2**63 - 1

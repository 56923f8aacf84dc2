"""Numeric bounds of the catalog: every integer an event carries fits the read models' columns.

A producer that is not ours may write any number JSON can hold; without a bound, one with
hundreds of digits passed validation and overflowed later (the clip statistics, a PostgreSQL
INTEGER column), in a handler or in the projector, instead of being refused at decoding."""

from __future__ import annotations

INT32_MAX = 2**31 - 1  # INTEGER columns; 2**31 ms is about 24.8 days
INT64_MAX = 2**63 - 1  # BIGINT columns (file sizes)

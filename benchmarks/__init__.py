"""Benchmarks of session stores against the least work Redis allows (``make bench``)."""

from __future__ import annotations

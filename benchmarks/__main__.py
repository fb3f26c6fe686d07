"""``python -m benchmarks [--quick]``: run the suite and write ``benchmarks/results/``."""

from __future__ import annotations

from .run import main

raise SystemExit(main())

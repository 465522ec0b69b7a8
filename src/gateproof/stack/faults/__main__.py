"""``python -m gateproof.stack.faults``: run the fault matrix (see docs/fault-matrix.md)."""

from __future__ import annotations

import sys

from gateproof.stack.faults.matrix import main

sys.exit(main())

"""The fault matrix: a catalogue of faults injected from outside gateproof's code into one
reference stack, each expected to turn exactly its named checklist items red, plus healthy
runs that count false reds. ``python -m gateproof.stack.faults`` (``make faults``) runs it;
docs/fault-matrix.md carries the latest table."""

"""Selftests of the release record: joining phase records (and rollbacks) of one deployment.

The join tests build phase records of the shape ``--gateproof-record`` writes (see
``release_records``); the rollback test produces every record for real, on a reference stack
of its own."""

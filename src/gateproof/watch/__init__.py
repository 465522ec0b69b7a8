"""``gateproof watch``: the chosen phases run again and again against a live deployment after
its gate, with a failure budget, one verdict and one record of every round, the outcomes
exported for Prometheus, and an opt-in rollback to the last version that passed its gate."""

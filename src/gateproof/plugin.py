"""gateproof's pytest hooks (placeholder until the foundation lands)."""

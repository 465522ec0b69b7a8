"""Stand-ins for the observability tools that cannot be installed on the test machines:
Grafana (serves the repository's dashboards and datasources through Grafana's HTTP API),
Loki (Loki's push API and the LogQL gateproof sends), and a Promtail-like log shipper."""

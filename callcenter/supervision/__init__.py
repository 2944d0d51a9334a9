"""Supervisor-facing adapters of the metrics room: interval-report queries, REST routes, Prometheus."""

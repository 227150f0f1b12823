"""Operations: Prometheus metrics and structured logs with request and workflow ids.

Imports nothing else of ours: callers pass plain values in (settings fields, a workflow-id provider),
so every layer may record a metric or log a line (docs/operations.md, "Metrics" and "Logs").
"""

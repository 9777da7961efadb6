"""Outputs: terminal, reports, the gate's report, charts, ``/metrics``, notifications."""

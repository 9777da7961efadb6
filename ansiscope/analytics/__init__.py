"""Read-only analytics over the store's reads: timings, health, regressions, the gate."""

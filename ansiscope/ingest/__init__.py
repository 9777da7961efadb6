"""The pipeline into a store: following inputs exactly once, stdin, labels."""

"""The ClickHouse backend (a server, or chDB in this process): many nodes, one store."""

"""The exchange's (or regulator's) node: mirrors the consortium's events into SQL and serves them.

Data flows one way: ``chain`` (JSON-RPC) → ``decode`` (pure) → ``projections`` (pure) →
``store`` (SQL) → ``api``. ``events`` defines the values passed between them.
"""

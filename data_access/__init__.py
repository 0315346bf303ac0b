"""The registry: schema contract, connections, configuration files, queries, the demo county.

SQLAlchemy Core with bound parameters only; the same statements on SQLite, PostgreSQL and
MariaDB. Knows no words (errors carry message keys) and no pages.
"""

"""Registry access: schema contract, grouped queries, demo data."""

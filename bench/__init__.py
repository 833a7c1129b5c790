"""Benchmarks of manyi's hot paths on large synthetic data (see bench/README.md).

``bench.generate`` builds N customers fast (COPY on PostgreSQL, batched inserts on SQLite);
``bench.customer_search`` measures the customer search against a primary-key baseline.
"""

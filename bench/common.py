"""Helpers shared by the benchmarks in bench/*_bench.py."""

from __future__ import annotations

import os


def throwaway_database_url(db_name: str) -> str:
    """``BENCH_DATABASE_URL`` if set, else a freshly (re)created ``db_name`` on 127.0.0.1:5432."""
    url = os.environ.get("BENCH_DATABASE_URL")
    if url:
        return url
    import psycopg

    with psycopg.connect(
        "host=127.0.0.1 port=5432 user=postgres dbname=postgres", autocommit=True
    ) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {db_name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {db_name}")
    return f"postgres://postgres@127.0.0.1:5432/{db_name}"

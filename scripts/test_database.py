"""Choose the database for the test suite and say which one on stderr.

Prints a DATABASE_URL: the caller's own when set; otherwise a throwaway PostgreSQL database
on 127.0.0.1:5432 when a server answers there (pytest-django creates ``test_<name>`` and
drops it at the end); otherwise SQLite (in memory for tests).
"""

import os
import secrets
import sys


def main() -> None:
    url = os.environ.get("DATABASE_URL")
    if url:
        print(
            f"Tests use DATABASE_URL from the environment ({url.split('@')[-1]}).", file=sys.stderr
        )
        print(url)
        return
    try:
        import psycopg

        with psycopg.connect(
            "host=127.0.0.1 port=5432 user=postgres dbname=postgres connect_timeout=3"
        ) as conn:
            version = conn.execute("SHOW server_version").fetchone()[0]
        name = f"polku_{secrets.token_hex(4)}"
        print(
            f"Tests use PostgreSQL {version} on 127.0.0.1:5432 "
            f"(throwaway database test_{name}, dropped afterwards).",
            file=sys.stderr,
        )
        print(f"postgres://postgres@127.0.0.1:5432/{name}")
    except Exception as exc:
        print(
            f"PostgreSQL is not reachable on 127.0.0.1:5432 ({exc.__class__.__name__}): "
            "tests FALL BACK to SQLite; PostgreSQL-only tests are skipped.",
            file=sys.stderr,
        )
        print("sqlite:///:memory:")


if __name__ == "__main__":
    main()

"""Run `mostrador` (argv as the CLI's) with counters of database work, for bench/pipeline.py.

Counts, per database file (ours and DBOS's system database), the transactions committed and the SQL
statements executed, through SQLAlchemy events on every engine; writes them as JSON to the file named
by the first argument every 0.2 s. The app itself is unchanged: this only listens.

    python bench/app_probe.py COUNTS.json serve --port 8000
"""

from __future__ import annotations

import json
import os
import sys
import threading
from collections import Counter
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

_commits: Counter[str] = Counter()
_statements: Counter[str] = Counter()


def _name(conn: Any) -> str:
    database = conn.engine.url.database or ""
    return os.path.basename(database) or conn.engine.url.get_backend_name()


@event.listens_for(Engine, "commit")
def _on_commit(conn: Any) -> None:
    _commits[_name(conn)] += 1


@event.listens_for(Engine, "before_cursor_execute")
def _on_statement(conn: Any, *_args: Any) -> None:
    _statements[_name(conn)] += 1


def _dump(path: str) -> None:
    while True:
        data = {"commits": dict(_commits), "statements": dict(_statements)}
        tmp = f"{path}.tmp"
        with open(tmp, "w") as out:
            json.dump(data, out)
        os.replace(tmp, path)
        threading.Event().wait(0.2)


def main() -> None:
    path = sys.argv[1]
    threading.Thread(target=_dump, args=(path,), daemon=True, name="bench-probe").start()
    sys.argv = ["mostrador", *sys.argv[2:]]
    from mostrador.cli.main import main as cli

    cli()


if __name__ == "__main__":
    main()

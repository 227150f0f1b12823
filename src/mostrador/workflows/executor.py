"""One live process per DBOS executor id (DBOS-NOTES sharp edges 3 and 5).

DBOS recovers a process's PENDING workflows only when a process with the same executor id starts, and
two live processes sharing an id run the same work twice. So every process claims its id before DBOS
launches and holds the claim until it exits:

* PostgreSQL: a session-level advisory lock on a dedicated connection to the DBOS system database.
  The server drops it when the connection ends, so a killed process frees its id (the session sets
  TCP keepalives so a vanished host is noticed in about half a minute, not two hours).
* SQLite (one host by nature): an exclusive `flock` on a file beside the DBOS database. The kernel
  drops it when the process dies.

Exceptions::

    ExecutorLockError           the claim could not be made or checked
     └── ExecutorIdInUse        another live process holds this executor id
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import socket
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from sqlalchemy import Connection, Engine, create_engine, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from mostrador.settings import normalise_db_url
from mostrador.store import executor_locks

log = logging.getLogger(__name__)

# A killed process's PostgreSQL backend may take a moment to notice its client is gone.
DEFAULT_WAIT_S = 3.0
DEFAULT_WATCH_INTERVAL_S = 10.0


class ExecutorLockError(RuntimeError):
    """The executor id could not be claimed."""


class ExecutorIdInUse(ExecutorLockError):
    """Another live process holds this executor id: give this process its own id."""

    def __init__(self, executor_id: str, holder: str) -> None:
        self.executor_id = executor_id
        self.holder = holder
        super().__init__(
            f"executor id {executor_id!r} is already in use ({holder}). Two processes with one id would "
            "run the same workflows twice: stop the other process, or give this one its own id "
            "(MOSTRADOR_EXECUTOR_ID, or `mostrador worker --executor-id`)."
        )


class ExecutorLock(Protocol):
    executor_id: str

    def release(self) -> None: ...


def _holder_line(executor_id: str) -> str:
    started = datetime.now(UTC).isoformat(timespec="seconds")
    return f"pid {os.getpid()} on host {socket.gethostname()}, since {started}"


def lock_key(executor_id: str) -> int:
    """A signed 64-bit advisory-lock key for this id (namespaced, so other users of advisory locks in
    the same database do not collide with ours)."""
    digest = hashlib.blake2b(f"mostrador-executor:{executor_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class FileExecutorLock:
    """`flock` on `<dbos database>.executor-<hash>.lock`; the file records who holds it."""

    def __init__(self, executor_id: str, path: Path) -> None:
        self.executor_id = executor_id
        self.path = path
        self._fd: int | None = None

    def try_acquire(self) -> str | None:
        """None when acquired, else a description of the holder."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 500, 0).decode(errors="replace").strip()
            os.close(fd)
            return holder or "another process"
        except BaseException:
            os.close(fd)
            raise
        # The file is never deleted: deleting a lock file lets two processes lock two different inodes.
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{_holder_line(self.executor_id)}\n".encode(), 0)
        self._fd = fd
        return None

    def release(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


class PostgresExecutorLock:
    """`pg_try_advisory_lock` held by a dedicated session for the life of the process.

    A watch thread checks the session every `watch_interval_s`; if the server dropped it (restart,
    failover), it reconnects and claims the id again, and logs an error if another process took it
    in the meantime.
    """

    def __init__(
        self, executor_id: str, url: str, watch_interval_s: float = DEFAULT_WATCH_INTERVAL_S
    ) -> None:
        self.executor_id = executor_id
        self.key = lock_key(executor_id)
        self.watch_interval_s = watch_interval_s
        label = f"mostrador executor {executor_id}"[:63]  # PostgreSQL truncates names at 63 bytes
        self._engine: Engine = create_engine(
            normalise_db_url(url), poolclass=NullPool, connect_args={"application_name": label}
        )
        self._conn: Connection | None = None
        self._guard = threading.Lock()
        self._stop = threading.Event()
        self._watch: threading.Thread | None = None

    def _connect(self) -> Connection:
        conn = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            executor_locks.prepare_lock_session(conn)
        except BaseException:
            conn.close()
            raise
        return conn

    def _try_lock(self, conn: Connection) -> bool:
        return executor_locks.try_lock(conn, self.key)

    def try_acquire(self) -> str | None:
        """None when acquired, else a description of the holder."""
        with self._guard:
            conn = self._connect()
            try:
                if self._try_lock(conn):
                    self._conn = conn
                    return None
                holder = self._describe_holder(conn)
            except BaseException:
                conn.close()
                raise
            conn.close()
            return holder

    def start_watch(self) -> None:
        self._watch = threading.Thread(target=self._run_watch, name="mostrador-executor-lock", daemon=True)
        self._watch.start()

    def _describe_holder(self, conn: Connection) -> str:
        row = executor_locks.holder(conn, self.key)
        if row is None:
            return "a session that just ended or that this role cannot see"
        addr = row.client_addr or "a local socket"
        return f"PostgreSQL backend {row.pid}, client {addr}, connected since {row.backend_start}"

    def held(self) -> bool:
        """Whether this process's session still holds the claim (asks the server)."""
        with self._guard:
            if self._conn is None:
                return False
            try:
                return executor_locks.held_by_this_session(self._conn, self.key)
            except SQLAlchemyError:
                return False

    def _run_watch(self) -> None:
        while not self._stop.wait(self.watch_interval_s):
            if self.held():
                continue
            with self._guard:
                if self._stop.is_set():
                    return
                if self._conn is not None:
                    with contextlib.suppress(SQLAlchemyError):
                        self._conn.close()
                    self._conn = None
                try:
                    conn = self._connect()
                except SQLAlchemyError as exc:
                    log.warning(
                        "executor id %r: database unreachable, claim not held (%s)", self.executor_id, exc
                    )
                    continue
                if self._try_lock(conn):
                    self._conn = conn
                    log.warning(
                        "executor id %r: claim re-taken after the database session was lost", self.executor_id
                    )
                else:
                    log.error(
                        "executor id %r was taken by another process while this one's database session "
                        "was down: two processes now share it (%s); stop one of them",
                        self.executor_id,
                        self._describe_holder(conn),
                    )
                    conn.close()

    def release(self) -> None:
        self._stop.set()
        if self._watch is not None:
            self._watch.join(timeout=5)
            self._watch = None
        with self._guard:
            if self._conn is not None:
                with contextlib.suppress(SQLAlchemyError):
                    executor_locks.unlock(self._conn, self.key)
                with contextlib.suppress(SQLAlchemyError):
                    self._conn.close()
                self._conn = None
        self._engine.dispose()


def lock_for(
    executor_id: str, system_database_url: str, *, watch_interval_s: float = DEFAULT_WATCH_INTERVAL_S
) -> FileExecutorLock | PostgresExecutorLock:
    """The kind of claim that fits DBOS's system database."""
    url = make_url(normalise_db_url(system_database_url))
    if url.get_backend_name() == "postgresql":
        return PostgresExecutorLock(executor_id, system_database_url, watch_interval_s)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        digest = hashlib.sha256(executor_id.encode()).hexdigest()[:16]
        return FileExecutorLock(executor_id, Path(f"{url.database}.executor-{digest}.lock"))
    raise ExecutorLockError(f"cannot claim an executor id on {url.render_as_string()}")


def claim(
    executor_id: str,
    system_database_url: str,
    *,
    wait_s: float = DEFAULT_WAIT_S,
    watch_interval_s: float = DEFAULT_WATCH_INTERVAL_S,
) -> ExecutorLock:
    """Claim `executor_id` for this process, or raise `ExecutorIdInUse` once `wait_s` has passed
    (a process killed a moment ago may still hold it that long on PostgreSQL)."""
    lock = lock_for(executor_id, system_database_url, watch_interval_s=watch_interval_s)
    deadline = time.monotonic() + wait_s
    while True:
        try:
            holder = lock.try_acquire()
        except (OSError, SQLAlchemyError) as exc:
            lock.release()
            raise ExecutorLockError(f"could not claim executor id {executor_id!r}: {exc}") from exc
        if holder is None:
            break
        if time.monotonic() >= deadline:
            lock.release()
            raise ExecutorIdInUse(executor_id, holder)
        time.sleep(0.1)
    if isinstance(lock, PostgresExecutorLock):
        lock.start_watch()
    return lock

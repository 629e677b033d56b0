"""A streaming replica of a running PostgreSQL cluster, for the read-replica test
(tests/registry/test_replica.py) and the scale-out bench (bench/scaleout.py): a pg_basebackup
of the cluster into a temporary folder, started with pg_ctl as a hot standby on its own port.

PostgreSQL's programs refuse to run as root; as root (CI) they run as the postgres user. The
cluster must allow replication connections from 127.0.0.1 (.ci/run adds the pg_hba line)."""

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import psycopg


def as_postgres(command: list[str]) -> list[str]:
    """PostgreSQL's programs refuse to run as root: CI runs as root, so as the postgres user."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def run(command: list[str], timeout: float = 60) -> str:
    done = subprocess.run(as_postgres(command), capture_output=True, text=True, timeout=timeout, check=False)  # noqa: S603
    assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


class Standby:
    """A hot standby of a running cluster in a temporary folder, started with pg_ctl:
    `Standby("postgresql://postgres@127.0.0.1:5432/enlace", port=5445)`."""

    def __init__(self, primary: str, port: int = 5445):
        self.primary = primary
        self.port = port
        parts = urlsplit(primary)
        self.database = parts.path.lstrip("/")
        # A hot standby needs these at least as high as its primary's.
        names = (
            "max_connections",
            "max_worker_processes",
            "max_wal_senders",
            "max_prepared_transactions",
            "max_locks_per_transaction",
            "wal_level",
            "server_version_num",
        )
        with psycopg.connect(self.primary, autocommit=True) as conn:
            settings = dict(conn.execute("SELECT name, setting FROM pg_settings WHERE name = ANY(%s)", [list(names)]))
        assert settings["wal_level"] in {"replica", "logical"} and int(settings["max_wal_senders"]) >= 2, (
            f"the cluster cannot stream to a replica: {settings}"
        )
        version = int(settings["server_version_num"]) // 10000
        self.copied = "".join(f"{name} = {settings[name]}\n" for name in names[:5])
        self.bin = Path(f"/usr/lib/postgresql/{version}/bin")
        if not self.bin.is_dir():
            self.bin = Path(subprocess.check_output(["pg_config", "--bindir"], text=True).strip())  # noqa: S607
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), 1):
            raise AssertionError(f"port {self.port} is taken: a standby of an earlier run still running?")
        self.folder = Path(tempfile.mkdtemp(prefix="enlace-replica-"))
        self.data = self.folder / "data"
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        try:
            # -R writes standby.signal and primary_conninfo; -c fast: an immediate checkpoint; -N: no
            # fsync of a copy thrown away afterwards.
            started = time.monotonic()
            run(
                [
                    str(self.bin / "pg_basebackup"),
                    *(
                        "-h",
                        parts.hostname or "127.0.0.1",
                        "-p",
                        str(parts.port or 5432),
                        "-U",
                        parts.username or "postgres",
                    ),
                    *("-D", str(self.data), "-R", "-X", "stream", "-c", "fast", "-N", "--no-manifest"),
                ],
                timeout=120,
            )
            self.copy_seconds = time.monotonic() - started
            # Debian keeps the cluster's configuration outside its data folder: a small one of its own.
            (self.data / "postgresql.conf").write_text(
                f"port = {self.port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{self.folder}'\n"
                "hot_standby = on\nshared_buffers = 16MB\nfsync = off\nhot_standby_feedback = on\n"
                "logging_collector = off\n" + self.copied
            )
            (self.data / "pg_hba.conf").write_text("local all all trust\nhost all all 127.0.0.1/32 trust\n")
            if os.geteuid() == 0:
                for path in (self.data / "postgresql.conf", self.data / "pg_hba.conf"):
                    shutil.chown(path, "postgres", "postgres")
            self.start()
        except BaseException:
            self.remove()  # a copy that could not start is not left behind
            raise

    def start(self) -> None:
        log = self.folder / "log"
        try:
            run([str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(log), "-w", "-t", "60", "start"])
        except AssertionError as failed:
            raise AssertionError(f"{failed}\n{log.read_text() if log.exists() else ''}") from None

    def stop(self, mode: str = "fast") -> None:
        if (self.data / "postmaster.pid").exists():
            run([str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop"])

    def remove(self) -> None:
        with contextlib.suppress(AssertionError, subprocess.TimeoutExpired):
            self.stop("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)

    def dsn(self, name: str | None = None) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name or self.database}"

    def sql(self, query: str):
        with psycopg.connect(self.dsn(), autocommit=True, connect_timeout=5) as conn:
            return conn.execute(query).fetchone()

    def wait_caught_up(self, timeout: float = 30) -> None:
        with psycopg.connect(self.primary, autocommit=True) as conn:
            target = conn.execute("SELECT pg_current_wal_lsn()").fetchone()[0]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(psycopg.OperationalError):
                if self.sql(f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn")[0]:
                    return
            time.sleep(0.1)
        raise AssertionError("the standby did not catch up with the primary")

"""A private PostgreSQL server for the tests: initdb and pg_ctl on a temporary folder, nothing installed as a service.

The binaries come from `$PG_BIN`, else the newest `/usr/lib/postgresql/<version>/bin`, else `pg_ctl` on the
PATH (`.ci/run` installs PostgreSQL with apt-get where it is missing). initdb refuses to run as root, so as
root the server runs as the unprivileged user `nobody` in a folder it owns. It listens on 127.0.0.1 at a
free port with trust authentication (loopback only, dropped with the folder), durability off (a test
server loses nothing it needs). Each test gets its own database (`create_database`).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

SERVER_USER = "nobody"  # initdb and postgres refuse root
INSTALL_HINT = "install PostgreSQL (apt-get install postgresql) or set PG_BIN to the folder holding initdb and pg_ctl"


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL binaries on this machine, or the server did not start; the message says what to do."""


def find_bin() -> Path | None:
    """The folder of initdb and pg_ctl: `$PG_BIN`, the newest /usr/lib/postgresql/*/bin, or the PATH."""
    candidates = [os.environ.get("PG_BIN", "")]
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]), reverse=True)
    on_path = shutil.which("pg_ctl")
    candidates.append(str(Path(on_path).parent) if on_path else "")
    for folder in candidates:
        if folder and (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PostgresServer:
    """One server on a temporary folder: `start()` returns it; `url(database)`; `stop()` removes everything."""

    def __init__(self, settings: dict[str, str] | None = None) -> None:
        self.bin = find_bin()
        self.dir: Path | None = None
        self.port = 0
        # server settings beyond the test defaults (the benchmark gives it the memory a real server has)
        self.settings = {"shared_buffers": "64MB", **(settings or {})}

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin / args[0]), *args[1:]]  # type: ignore[operator]
        if os.geteuid() == 0:
            command = ["runuser", "-u", SERVER_USER, "--", *command]
        return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)

    def start(self) -> PostgresServer:
        if self.bin is None:
            raise PostgresUnavailable(f"no PostgreSQL binaries (initdb, pg_ctl) found: {INSTALL_HINT}")
        self.dir = Path(tempfile.mkdtemp(prefix="stripe-revenue-pg-"))
        if os.geteuid() == 0:
            shutil.chown(self.dir, user=SERVER_USER)
        init = self._run("initdb", "-D", str(self.dir / "data"), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                         "--no-locale", "--no-sync")  # fmt: skip
        if init.returncode:
            self.stop()
            raise PostgresUnavailable(f"initdb failed: {init.stderr.strip() or init.stdout.strip()}")
        for _ in range(3):  # a port taken between choosing and binding: choose again
            self.port = _free_port()
            options = (
                f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "
                "-c full_page_writes=off -c max_connections=60 "
                + " ".join(f"-c {name}={value}" for name, value in self.settings.items())
            )
            started = self._run("pg_ctl", "-D", str(self.dir / "data"), "-l", str(self.dir / "server.log"), "-w",
                                "-t", "60", "-o", options, "start")  # fmt: skip
            if started.returncode == 0:
                return self
        log = (self.dir / "server.log").read_text(errors="replace")[-2000:] if self.dir else ""
        self.stop()
        raise PostgresUnavailable(f"the test PostgreSQL server did not start: {started.stderr.strip()} {log}")

    def url(self, database: str = "postgres") -> str:
        # trust authentication ignores the password; dlt requires one in its credentials
        return f"postgresql://postgres:postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, prefix: str = "test") -> str:
        """A new empty database; returns its URL."""
        import psycopg2

        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        connection = psycopg2.connect(self.url())
        try:
            connection.autocommit = True
            with connection.cursor() as cursor:
                cursor.execute(f'create database "{name}"')
        finally:
            connection.close()
        return self.url(name)

    def stop(self) -> None:
        if self.dir is None:
            return
        if (self.dir / "data" / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.dir / "data"), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir = None


def postgres_env(url: str) -> dict[str, str]:
    """The environment that points dlt and dbt at the database `url` (what a user sets, README)."""
    return {"DESTINATION_TYPE": "postgres", "DESTINATION__POSTGRES__CREDENTIALS": url}

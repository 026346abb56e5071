"""The Prefect server a command starts for itself (``--prefect`` without ``PREFECT_API_URL``), tied to it.

Prefect's own ephemeral server is a child process stopped by an ``atexit`` hook: a command killed with
``kill -9`` never runs it, and the server (170–350 MB) kept running. This one is the same server (uvicorn on
Prefect's app factory, on 127.0.0.1, no UI) started with the kernel's parent-death signal: when the
command's process dies, however it dies, the server receives SIGKILL (Linux ``PR_SET_PDEATHSIG``; its SQLite
database is crash-safe). On a normal exit it is stopped, as Prefect stops its own.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

from flows.erreurs import ErreurMachine

PR_SET_PDEATHSIG = 1
ATTENTE_S = (
    120  # the longest the server may take to answer /health (PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT)
)


class ServeurIndisponible(ErreurMachine):
    """The server did not answer in time."""


def _mourir_avec_le_parent() -> None:  # pragma: no cover - runs in the child, between fork and exec
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() == 1:  # the parent died before the prctl took effect
        os._exit(1)


def _vider_les_envois() -> None:
    """Send what Prefect's background workers still hold (logs, events): after the server stops they would
    fail at exit with "Error logging to API" on stderr."""
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    for service in (APILogWorker, EventsWorker):
        try:
            service.drain_all(timeout=10)
        except Exception:  # noqa: BLE001 - a worker that cannot drain only loses its last records
            pass


def _port_libre() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serveur_lie(journal=None) -> Iterator[str]:
    """Start a Prefect server bound to this process; yield its API URL, set as the Prefect API for the block.

    Must be called from the main thread: the parent-death signal follows the thread that started the child."""
    import httpx
    from prefect.settings import PREFECT_API_URL, temporary_settings

    port = _port_libre()
    url = f"http://127.0.0.1:{port}/api"
    env = {
        **os.environ,
        "PREFECT_UI_ENABLED": "0",
        "PREFECT__SERVER_EPHEMERAL": "1",
        "PREFECT__SERVER_FINAL": "1",
    }
    env.pop("PREFECT_API_URL", None)
    commande = [sys.executable, "-m", "uvicorn", "--factory", "prefect.server.api.server:create_app"]
    commande += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "error", "--lifespan", "on"]
    processus = subprocess.Popen(
        commande,
        env=env,
        preexec_fn=_mourir_avec_le_parent,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        limite = time.monotonic() + float(
            os.environ.get("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", ATTENTE_S)
        )
        with httpx.Client() as client:
            while True:
                if processus.poll() is not None:
                    raise ServeurIndisponible(
                        f"the Prefect server stopped at start (exit code {processus.returncode})"
                    )
                try:
                    if client.get(f"{url}/health", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > limite:
                    raise ServeurIndisponible(
                        "the Prefect server did not answer within its start-up timeout; run again, or "
                        "start a standing server (prefect server start) and set PREFECT_API_URL"
                    )
                time.sleep(0.1)
        if journal:
            journal(f"Prefect server of this command on {url} (stopped with it)")
        with temporary_settings(updates={PREFECT_API_URL: url}):
            yield url
    finally:
        _vider_les_envois()  # the flow's last logs and events reach the server before it stops
        processus.terminate()
        try:
            processus.wait(timeout=10)
        except subprocess.TimeoutExpired:
            processus.kill()
            processus.wait()

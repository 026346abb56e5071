"""With a standing Prefect server (``prefect server start`` on 127.0.0.1, started and stopped here), the
commands go through Prefect and their flow runs are recorded under the names of what they did."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from operateur import _env, forfaits

PREFECT = Path(sys.executable).parent / "prefect"


def _port_libre() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _api(url: str, chemin: str, corps: dict | None = None):
    donnees = json.dumps(corps).encode() if corps is not None else None
    requete = urllib.request.Request(
        url + chemin,
        data=donnees,
        headers={"Content-Type": "application/json"},
        method="POST" if donnees else "GET",
    )
    with urllib.request.urlopen(requete, timeout=10) as r:
        return json.loads(r.read())


@pytest.fixture(scope="module")
def serveur(tmp_path_factory):
    d = tmp_path_factory.mktemp("prefect")
    port = _port_libre()
    env = _env(PREFECT_HOME=str(d / "home"), DO_NOT_TRACK="1", PREFECT_SERVER_ANALYTICS_ENABLED="false")
    journal = (d / "serveur.log").open("w")
    processus = subprocess.Popen(
        [str(PREFECT), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=journal,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: stopped whole, uvicorn included
    )
    url = f"http://127.0.0.1:{port}/api"
    try:
        limite = time.monotonic() + 180
        while True:
            try:
                _api(url, "/health")
                break
            except OSError:
                if processus.poll() is not None or time.monotonic() > limite:
                    pytest.fail(
                        f"the Prefect server did not start: {(d / 'serveur.log').read_text()[-2000:]}"
                    )
                time.sleep(1)
        yield url, env
    finally:
        os.killpg(processus.pid, signal.SIGTERM)
        try:
            processus.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(processus.pid, signal.SIGKILL)
            processus.wait()
        journal.close()


def test_runs_are_recorded_in_the_standing_server_under_their_names(serveur, demo, tmp_path):
    url, env = serveur
    env = env | {"PREFECT_API_URL": url}
    extrait = demo / "data" / "demo" / "extracts" / "2025"
    r = forfaits(
        "ingest", "--extract", extrait, "--year", 2025, "--lake", tmp_path / "lake", cwd=demo, env=env
    )
    assert r.returncode == 0, r.stderr
    arguments = ["run", "--year", 2025, "--lake", "data/demo/lake", "--out", tmp_path / "runs"]
    r = forfaits(*arguments, "--overlay", "data/overlays/illustratif", cwd=demo, env=env)
    assert r.returncode == 0, r.stderr
    noms = {"ingest-2025", "annual-run-2025"}
    runs = _api(url, "/flow_runs/filter", {"flow_runs": {"name": {"any_": sorted(noms)}}})
    assert {x["name"] for x in runs} == noms
    assert all(x["state_type"] == "COMPLETED" for x in runs)
    taches = _api(url, "/task_runs/filter", {"flow_runs": {"name": {"any_": ["annual-run-2025"]}}})
    assert {"models", "outputs"} <= {x["name"].rsplit("-", 1)[0] for x in taches}

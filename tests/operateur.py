"""The operator's side of the tests: the real ``forfaits`` entry point in a subprocess, and a folder laid out
as a checkout after `make demo` (tests/conftest.py's ``demo`` fixture)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

RACINE = Path(__file__).resolve().parents[1]
FORFAITS = Path(sys.executable).parent / "forfaits"


def _env(**k) -> dict:
    env = {n: v for n, v in os.environ.items() if not n.startswith(("PREFECT_", "DO_NOT_TRACK"))}
    return env | k


def forfaits(*args, cwd: Path, env: dict | None = None, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(FORFAITS), *map(str, args)],
        cwd=cwd,
        env=env or _env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def preparer_demo(d: Path) -> Path:
    """A folder laid out as a checkout after `make demo`: data/demo, data/overlays, data/reforms."""
    (d / "data").mkdir()
    for nom in ("overlays", "reforms"):
        (d / "data" / nom).symlink_to(RACINE / "data" / nom)
    r = subprocess.run(
        [sys.executable, "-m", "flows.demo", "--dir", str(d / "data" / "demo")],
        cwd=RACINE,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert r.returncode == 0, r.stderr[-3000:]
    return d

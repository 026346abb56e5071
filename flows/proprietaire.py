"""Who owns a folder being written (a run's ``.tmp-*``, an ingest's ``.staging/*``), so that a later command
removes what a dead process left and never what a live one is writing, even on a file system other hosts
share.

The owner record names the host, the process id and the process's start time. A folder is stale when its
owner ran on this host and that process is gone (no such id, or an id reused by a process started at
another time), or when it has no readable record and is older than ``GRACE_S`` (its owner was killed
between creating it and writing the record; a younger one may be about to get its record). A folder owned
by another host is never judged here: this host cannot see that host's processes (docs/operations.md,
"On a cluster").
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import time
from pathlib import Path

import psutil

FICHIER = ".proprietaire"
GRACE_S = 3600  # a folder without a record, younger than this, may be about to get one
VARIABLE_HOTE = "FORFAITS_HOTE"  # overrides the host name (tests: two hosts on one file system)


def hote() -> str:
    return os.environ.get(VARIABLE_HOTE) or socket.gethostname()


def ecrire(dossier: Path) -> None:
    """Record this process as the owner of ``dossier`` (written whole: temporary name, then rename)."""
    moi = psutil.Process()
    enregistrement = {"hote": hote(), "pid": moi.pid, "debut": moi.create_time()}
    tmp = dossier / f"{FICHIER}.{moi.pid}.tmp"
    tmp.write_text(json.dumps(enregistrement), encoding="utf-8")
    os.replace(tmp, dossier / FICHIER)


def perime(dossier: Path, maintenant: float | None = None) -> bool:
    """Whether ``dossier`` was left by a process that is gone (see the module's docstring)."""
    try:
        e = json.loads((dossier / FICHIER).read_text(encoding="utf-8"))
        h, pid, debut = str(e["hote"]), int(e["pid"]), float(e["debut"])
    except (OSError, ValueError, KeyError, TypeError):
        try:
            age = (maintenant or time.time()) - dossier.stat().st_mtime
        except OSError:
            return False  # gone already
        return age > GRACE_S
    if h != hote():
        return False
    try:
        return abs(psutil.Process(pid).create_time() - debut) > 1.0  # the id was reused
    except psutil.NoSuchProcess:
        return True
    except psutil.Error:
        return False  # it exists, but cannot be inspected: not ours to judge


def nettoyer(dossiers) -> list[Path]:
    """Remove the stale folders among ``dossiers``; return them."""
    partis = []
    for d in dossiers:
        if d.is_dir() and perime(d):
            shutil.rmtree(d, ignore_errors=True)
            partis.append(d)
    return partis

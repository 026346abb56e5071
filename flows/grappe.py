"""The Dask cluster a backfill or a set of reform scenarios spreads over, through Prefect's task runner
(prefect-dask): a running scheduler (``--cluster tcp://HOST:8786``, or ``FORFAITS_CLUSTER``), or a local
cluster sized from this machine (``--cluster local``).

A year needs one DuckDB of ``memoire`` bytes and a few cores; the local cluster has as many workers as the
machine's memory holds such years (80 % of it, the rest for the process that publishes), at most one per
core, each with its share of the cores. Inside a task, DuckDB's memory limit and threads come from the
worker it runs on (``ressources``): 60 % of the worker's memory limit (DuckDB's own accounting leaves out
Python, polars and Arrow buffers), and its threads.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import psutil
from dask.utils import parse_bytes

VARIABLE = "FORFAITS_CLUSTER"
LOCAL = "local"
PART_DUCKDB = 0.6  # of a worker's memory limit
PART_MACHINE = 0.8  # of the machine's memory, for the local cluster's workers


# '8GB' → bytes: KB, MB, GB powers of 1000, KiB, MiB, GiB of 1024, as DuckDB reads them
octets = parse_bytes


@dataclass(frozen=True)
class Taille:
    workers: int
    fils: int  # threads per worker
    memoire: int  # bytes per worker


def taille_locale(
    memoire_annee: str, coeurs: int | None = None, memoire_machine: int | None = None
) -> Taille:
    """How many workers of how many threads and how much memory this machine holds, a year each."""
    coeurs = coeurs or os.cpu_count() or 1
    total = int((memoire_machine or psutil.virtual_memory().total) * PART_MACHINE)
    par_annee = int(octets(memoire_annee) / PART_DUCKDB)
    workers = max(1, min(coeurs, total // max(1, par_annee)))
    return Taille(workers, max(1, coeurs // workers), total // workers)


def adresse(choix: str | None) -> str | None:
    """The cluster asked for: ``--cluster``, else ``FORFAITS_CLUSTER``; None: no cluster (in-process)."""
    return choix or os.environ.get(VARIABLE) or None


def executeur(choix: str, memoire_annee: str):
    """Prefect's Dask task runner for ``choix`` (an address, or ``local``)."""
    from prefect_dask import DaskTaskRunner

    if choix != LOCAL:
        return DaskTaskRunner(address=choix)
    t = taille_locale(memoire_annee)
    return DaskTaskRunner(
        cluster_class="distributed.LocalCluster",
        cluster_kwargs={
            "n_workers": t.workers,
            "threads_per_worker": t.fils,
            "memory_limit": t.memoire,
            "processes": True,
            "dashboard_address": None,
            "host": "127.0.0.1",
            "env": {"POLARS_MAX_THREADS": str(t.fils)},  # polars' pool sized before it starts
        },
    )


def ressources(memoire: str) -> tuple[str, int | None]:
    """(DuckDB memory limit, threads) for a task: its Dask worker's share, or ``memoire`` and every core
    outside a worker."""
    try:
        from distributed import get_worker

        w = get_worker()
    except (ImportError, ValueError):
        return memoire, None
    limite = w.memory_manager.memory_limit
    fils = w.state.nthreads
    if not limite:
        return memoire, fils
    return f"{max(1, int(limite * PART_DUCKDB) // 2**20)}MiB", fils

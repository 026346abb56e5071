"""Files: durable, atomic writes of output folders, hashes, the extract's files, and the crash points used by
the fault-injection tests.

A folder is written under a temporary name, every file and the folder itself are fsynced, then it is renamed
to its final name and its parent fsynced: after a crash, the final name holds the whole folder or does not
exist.
"""

from __future__ import annotations

import hashlib
import os
import signal
from pathlib import Path

import polars as pl

VARIABLE_PANNE = "FORFAITS_PANNE"


def panne(point: str) -> None:
    """Kill this process (SIGKILL, no clean-up) when ``FORFAITS_PANNE`` names this point (tests only)."""
    if os.environ.get(VARIABLE_PANNE) == point:
        os.kill(os.getpid(), signal.SIGKILL)


def fsync(chemin: Path) -> None:
    fd = os.open(chemin, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def ecrire_csv(df: pl.DataFrame, chemin: Path, point: str | None = None) -> None:
    """outputs.md CSV (``;``, UTF-8, DD/MM/YYYY), written in two halves with a crash point between them."""
    moitie = df.height // 2
    with chemin.open("w", encoding="utf-8", newline="") as fh:
        df.head(moitie).write_csv(fh, separator=";", date_format="%d/%m/%Y")
        fh.flush()
        if point:
            panne(point)
        df.slice(moitie).write_csv(fh, separator=";", date_format="%d/%m/%Y", include_header=False)


def publier_dossier(tmp: Path, cible: Path) -> Path:
    """fsync the files of ``tmp`` and ``tmp`` itself, rename it to ``cible`` (which must not exist), fsync."""
    if cible.exists():
        raise FileExistsError(f"{cible} already exists: a published folder is never overwritten")
    for f in tmp.rglob("*"):
        if f.is_file():
            fsync(f)
    fsync(tmp)
    os.rename(tmp, cible)
    fsync(cible.parent)
    return cible


def sha256_fichier(f: Path) -> str:
    with Path(f).open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def fichier_table(extract: Path, table: str) -> Path | None:
    """The file of ``table`` in an extract folder: Parquet, gzip CSV or CSV (inputs.md)."""
    for suffixe in (".parquet", ".csv.gz", ".csv"):
        f = Path(extract) / f"{table}{suffixe}"
        if f.exists():
            return f
    return None


def lignes_parquet(f: Path) -> int:
    return pl.scan_parquet(f).select(pl.len()).collect().item()

"""The lake's layout: a year's folder, its ingest report, and what is derived from it (models,
percentiles)."""

from __future__ import annotations

import json
from pathlib import Path

from flows.erreurs import ErreurRun


def dossier_annee(lake: Path, annee: int) -> Path:
    d = Path(lake) / f"annee={annee}"
    if not d.exists():
        raise ErreurRun(
            f"year {annee} is not in the lake {lake}: ingest it first "
            f"(forfaits ingest --extract DIR --year {annee} --lake {lake}) or pass --extract to the run"
        )
    return d


def rapport_ingest(lake: Path, annee: int) -> dict:
    return json.loads((dossier_annee(lake, annee) / "ingest.json").read_text(encoding="utf-8"))


def dossier_modeles(lake: Path, annee: int, cle: str) -> Path:
    """The models of year N computed from inputs whose key is ``cle`` (flows/modeles.py)."""
    return Path(lake) / "derives" / "modeles" / f"annee={annee}-{cle}"


def percentiles_gardes(lake: Path, annee: int) -> Path:
    """The national percentiles of year N, kept for the rules of later years (the assistant aid's
    reference)."""
    return Path(lake) / "derives" / "percentiles" / f"annee={annee}.parquet"


def distribution_gardee(lake: Path, annee: int) -> Path:
    """The distribution (doctors per specialty and value) the kept percentiles of year N come from."""
    return Path(lake) / "derives" / "percentiles" / f"annee={annee}.distribution.parquet"

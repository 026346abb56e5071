"""The lake's layout: a year's folder, its ingest report, and what is derived from it (models,
percentiles)."""

from __future__ import annotations

import json
import shutil
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


def fichier_garde(lake: Path, modele: str, annee: int, cle: str) -> Path:
    """The kept model ``modele`` of lake year N computed from inputs whose key is ``cle``
    (flows/modeles.py)."""
    return Path(lake) / "derives" / modele / f"annee={annee}-{cle}.parquet"


def oublier_derives(lake: Path, annee: int) -> list[Path]:
    """Remove what the lake derived from its year N (kept models, models, percentiles): called when N is
    ingested again. What later years derived from N is keyed by N's ingest too, and is never read again."""
    retires = []
    for d in sorted((Path(lake) / "derives").glob(f"*/annee={annee}[-.]*")):
        if d.is_dir():
            shutil.rmtree(d, ignore_errors=True)
        else:
            d.unlink(missing_ok=True)
        retires.append(d)
    return retires

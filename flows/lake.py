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


def elaguer(lake: Path, garder: int) -> dict:
    """Remove what the lake keeps for inspection only: the failed ingests of ``.echecs`` and the lake
    versions no ``annee=N`` points to, each but the ``garder`` newest; and the staging folders left by a
    stopped ingest (flows/proprietaire.py). The published years and what is derived from them are never
    touched. Returns what was removed and the bytes freed."""
    from flows import proprietaire

    lake = Path(lake)
    if garder < 0:
        raise ValueError("--keep must be 0 or more")
    courantes = {d.resolve() for d in lake.glob("annee=*") if d.is_symlink()}
    retires: dict[str, list[str]] = {"echecs": [], "versions": [], "staging": []}
    octets = 0

    def taille(d: Path) -> int:
        return sum(f.stat().st_size for f in d.rglob("*") if f.is_file() and not f.is_symlink())

    for nom, dossiers in (
        ("echecs", sorted((lake / ".echecs").glob("*"))),
        ("versions", sorted(d for d in (lake / ".versions").glob("*") if d.resolve() not in courantes)),
    ):
        dossiers = sorted((d for d in dossiers if d.is_dir()), key=lambda d: d.stat().st_mtime, reverse=True)
        for d in dossiers[garder:]:
            octets += taille(d)
            shutil.rmtree(d)
            retires[nom].append(d.name)
    for d in sorted((lake / ".staging").glob("*")):
        if d.is_dir() and proprietaire.perime(d):
            octets += taille(d)
            shutil.rmtree(d)
            retires["staging"].append(d.name)
    return {"lake": str(lake), "garder": garder, "retires": retires, "octets_liberes": octets}

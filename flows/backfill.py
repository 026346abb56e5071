"""Backfill: re-run past years, each with the parameters in force for it, and report what changed.

The year N is the partition key: each year is one ``annual_run`` (a Prefect subflow) whose rules read the
parameters at their own dates for N. Years run in ascending order, so that a year's extract is ingested before
a later year reads it (N−1 for the forfait médecin traitant of 2026, 2021 for the assistant aid).

What changed, per year: with ``--publish``, the publication (new keys, regularisations); without, the run
compared with the previous run of the same year, key by key, the same way a publication would
(``transforms.ledger.a_publier``), so the report says what a publication would emit.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import polars as pl
from prefect import flow

from flows.annual_run import annual_run, executer
from flows.dossier_run import runs_publies
from flows.erreurs import ErreurRun
from flows.reglages import MEMOIRE_PAR_DEFAUT, Reglages
from transforms.ledger import ecarts_runs


def ecarts(precedent: Path | None, nouveau: Path) -> dict:
    """What publishing run folder ``nouveau`` after ``precedent`` (two runs of one year) would emit."""
    ancien = pl.read_parquet(precedent / "paiements.parquet") if precedent else None
    b = ecarts_runs(ancien, pl.read_parquet(nouveau / "paiements.parquet"))
    return {
        "run_precedent": precedent.name if precedent else None,
        "cles_nouvelles": b["nouvelles_cles"]["nb_lignes"],
        "cles_modifiees_ou_disparues": b["regularisations"]["cles_modifiees"],
        "beneficiaires_touches": b["beneficiaires_touches"],
        "ecart_centimes": b["ecart_centimes"],
    }


def une_annee(
    annee: int, extracts: Path | None, lake: Path, out: Path, run: Callable[[int, Path | None], dict]
) -> dict:
    extrait = extracts / str(annee) if extracts is not None and (extracts / str(annee)).is_dir() else None
    if extrait is None and not (lake / f"annee={annee}").exists():
        raise ErreurRun(
            f"backfill of {annee}: year {annee} is not in the lake {lake} and there is no extract of it "
            f"(--extracts DIR, with the year's tables in DIR/{annee})"
        )
    avant = runs_publies(out, annee)
    r = run(annee, extrait)
    r["changements"] = ecarts(avant[-1] if avant else None, Path(r["dossier"]))
    return r


@flow(name="backfill", log_prints=False)
def backfill(
    annees: list[int],
    lake: str,
    out: str,
    extracts: str | None = None,
    overlay: str | list[str] | None = None,
    memoire: str = MEMOIRE_PAR_DEFAUT,
    ledger: str | None = None,
    publications: str | None = None,
    echeance: date | None = None,
) -> dict:
    """Run (with ``ledger``: and publish) each year of ``annees``; return per year the run and its changes."""

    def run(annee, extrait):
        return annual_run(
            annee,
            lake,
            out,
            str(extrait) if extrait else None,
            overlay,
            memoire,
            ledger,
            publications,
            echeance,
        )

    racine = Path(extracts) if extracts else None
    return {a: une_annee(a, racine, Path(lake), Path(out), run) for a in sorted(set(annees))}


def backfill_sans_prefect(annees: list[int], reglages: Reglages, extracts: Path | None = None, **k) -> dict:
    """The same years without Prefect (tests, benchmarks)."""

    def run(annee, extrait):
        return executer(annee, reglages, extrait, **k)

    return {a: une_annee(a, extracts, reglages.lake, reglages.out, run) for a in sorted(set(annees))}

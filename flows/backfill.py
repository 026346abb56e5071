"""Backfill: re-run past years, each with the parameters in force for it, and report what changed.

The year N is the partition key: each year is one annual run (under Prefect, a subflow) whose rules read the
parameters at their own dates for N. Every year is checked first (its extract or lake year, and the years it
reads: N−1 for the forfait médecin traitant of 2026, 2021 for the assistant aid), then the extracts given are
ingested, then the years run in ascending order.

What changed, per year: with ``--publish``, the publication (new keys, regularisations); without, the run
compared with the previous run of the same year, key by key, the same way a publication would
(``transforms.ledger.a_publier``), so the report says what a publication would emit.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import polars as pl

from flows.annual_run import executer
from flows.dossier_run import runs_publies
from flows.erreurs import ErreurRun
from flows.ingest import deja_ingere, ingerer
from flows.parametres_io import charger_parametres
from flows.reglages import Reglages
from transforms.ledger import ecarts_runs
from transforms.modeles import besoin_annee_precedente, variables
from transforms.parametres import JeuParametres, ParametreError
from transforms.registre import en_vigueur, montants_permis, noms
from transforms.rules.aide_assistant_medical import annee_reference


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


def extrait_de(annee: int, extracts: Path | None) -> Path | None:
    """The extract of year N under ``extracts`` (``<extracts>/<N>``), if there is one."""
    d = Path(extracts) / str(annee) if extracts is not None else None
    return d if d is not None and d.is_dir() else None


def parametres_manquants(p: JeuParametres, annee: int) -> list[str]:
    """What year N's rules would stop on for want of a parameter: a value users supply that no overlay
    gives, or a parameter the models and the amount checks read that has no value at N's dates."""
    problemes = [
        f"{annee}: {d} needs {n}, which no overlay supplies (--overlay DIR with {d}.yaml)"
        for d in noms()
        if en_vigueur(d, p, annee)
        for n in p.manquants(d, date(annee, 12, 31))
    ]
    try:
        variables(p, annee)
        montants_permis(p, annee)
    except ParametreError as e:
        problemes.append(f"{annee}: {e}")
    return problemes


def verifier(annees: list[int], lake: Path, extracts: Path | None, p: JeuParametres) -> None:
    """Check every year's inputs before computing any: its extract or lake year, and the years its rules read
    (N−1's claims, the assistant aid's reference year). Every problem is listed at once."""
    disponibles = {a for a in annees if extrait_de(a, extracts)} | {
        int(d.name.removeprefix("annee=")) for d in Path(lake).glob("annee=*") if d.is_dir()
    }
    problemes = []
    for a in sorted(set(annees)):
        if a not in disponibles:
            problemes.append(f"{a} is not in the lake and has no extract (expected {extracts or 'DIR'}/{a})")
            continue
        besoins = besoin_annee_precedente(variables(p, a))
        if besoins and a - 1 not in disponibles:
            problemes.append(
                f"{a}: {' and '.join(r for r, _ in besoins)} read(s) the claims of {a - 1}, absent"
            )
        if en_vigueur("aide_assistant_medical", p, a):
            r = annee_reference(p, a)
            if r not in disponibles:
                problemes.append(f"{a}: the assistant aid reads the reference distribution of {r}, absent")
        problemes += parametres_manquants(p, a)
    if problemes:
        raise ErreurRun(
            f"backfill of {min(annees)}–{max(annees)} stopped before computing any year:\n  - "
            + "\n  - ".join(problemes)
            + f"\nIngest the missing years (forfaits ingest --extract DIR --year N --lake {lake}), give "
            "their extracts (--extracts DIR, one sub-folder per year), or choose other years (--years)."
        )


def une_annee(annee: int, out: Path, run: Callable[[int], dict]) -> dict:
    """Run year N and say what changed against its previous run."""
    avant = runs_publies(out, annee)
    r = run(annee)
    r["changements"] = ecarts(avant[-1] if avant else None, Path(r["dossier"]))
    return r


def backfill(
    annees: list[int],
    reglages: Reglages,
    extracts: Path | None = None,
    parametres: JeuParametres | None = None,
    echeance: date | None = None,
) -> dict:
    """Check every year, ingest the extracts given, then run (with ``reglages.ledger``: and publish) each
    year in ascending order, in-process; return per year the run and what changed (flows/orchestration.py:
    the same as a Prefect flow)."""
    p = parametres or charger_parametres()
    annees = sorted(set(annees))
    verifier(annees, reglages.lake, extracts, p)
    for a in annees:
        extrait = extrait_de(a, extracts)
        if extrait is not None and not deja_ingere(extrait, a, reglages.lake, p):
            ingerer(extrait, a, reglages.lake, p, journal=reglages.journal)
    return {
        a: une_annee(a, reglages.out, lambda n: executer(n, reglages, None, p, echeance=echeance))
        for a in annees
    }

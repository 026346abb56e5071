"""The steps that compute a year, shared by the annual run, the simulation and the backfill: the models of N
(read back from the lake when kept), the reference thresholds the rules need, then the rules of the registry.

``lancer`` runs a step: a plain call, or the flow's Prefect task of the same function (flows/annual_run.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import polars as pl

from flows.fichiers import panne
from flows.modeles import modeles
from flows.reference import garder_percentiles, seuils_reference
from flows.reglages import Reglages
from transforms.calcul import Resultats, calculer
from transforms.parametres import JeuParametres
from transforms.registre import REGLES, SEUILS_REFERENCE, Regle, modeles_lus
from transforms.rules.aide_assistant_medical import SCHEMA_SEUILS


def appeler(fn: Callable, *a, **k):
    return fn(*a, **k)


def entrees(
    reglages: Reglages,
    annee: int,
    p: JeuParametres,
    travail: Path,
    regles: Sequence[Regle] = REGLES,
    lancer: Callable = appeler,
    lus: dict[str, pl.DataFrame] | None = None,
) -> dict[str, pl.DataFrame]:
    """Every frame the rules of ``regles`` read for year N: their models (``lus``: models already read, for
    a reform that leaves their variables unchanged), and the assistant aid's reference thresholds under
    ``p`` when a rule in force needs them."""
    if lus is None:
        sorties = lancer(modeles, reglages, annee, p)
        panne("apres_modeles")
        garder_percentiles(reglages.lake, annee, sorties)
        lus = {m: pl.read_parquet(sorties[m]) for m in modeles_lus(regles)}
    frames = {m: lus[m] for m in modeles_lus(regles)}
    if any(SEUILS_REFERENCE in r.entrees and r.en_vigueur(p, annee) for r in regles):
        contrats = frames["contrats_assistant_medical"]
        frames[SEUILS_REFERENCE] = lancer(
            seuils_reference, reglages, annee, p, frames["activite_medecins"], contrats, travail / ".ref"
        )
    else:
        frames[SEUILS_REFERENCE] = pl.DataFrame(schema=SCHEMA_SEUILS)
    panne("apres_seuils")
    return frames


def calculer_annee(
    reglages: Reglages,
    annee: int,
    p: JeuParametres,
    travail: Path,
    regles: Sequence[Regle] = REGLES,
    lancer: Callable = appeler,
    lus: dict[str, pl.DataFrame] | None = None,
) -> tuple[Resultats, dict[str, pl.DataFrame]]:
    """(results, the frames they were computed from) of year N."""
    frames = entrees(reglages, annee, p, travail, regles, lancer, lus)
    r = calculer(frames, p, annee, regles)
    panne("apres_regles")
    return r, frames

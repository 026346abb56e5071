"""Reform simulation (rules.md §10): year N under the baseline parameters and under a reform overlay.

Runs the same models and rules as the annual run, in a temporary folder; writes no payment file and publishes
nothing. The DuckDB models run once when the reform leaves their variables unchanged.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

import polars as pl

from flows.annual_run import calculer_modeles, dossier_annee, seuils_aam
from flows.parametres_io import charger_parametres, overlays
from transforms.calcul import Resultats, calculer
from transforms.modeles import variables
from transforms.parametres import JeuParametres
from transforms.simulation import comparer, enveloppes


def _resultats(
    lake: Path, annee: int, p: JeuParametres, travail: Path, memoire: str, log, modeles: dict | None = None
) -> tuple[Resultats, dict]:
    if modeles is None:
        travail.mkdir(parents=True, exist_ok=True)
        s = calculer_modeles(lake, annee, p, travail, memoire, log)
        modeles = {k: pl.read_parquet(f) for k, f in s.items()}
    seuils = seuils_aam(
        lake,
        annee,
        p,
        modeles["activite_medecins"],
        modeles["int_contrats_aam"],
        travail / "ref",
        memoire,
        log,
    )
    r = calculer(
        modeles["activite_medecins"],
        modeles["int_contrats_aam"],
        seuils,
        modeles["int_categories_mt"],
        p,
        annee,
        modeles["int_dipa"],
        modeles["int_cpts"],
    )
    return r, modeles


def simuler(
    annee: int,
    lake: Path,
    reforme: Path,
    memoire: str = "8GB",
    journal: Callable[[str], None] | None = None,
    overlay: str | Path | list | None = None,
) -> dict:
    """Baseline vs reform for year N: comparison per dispositif, and the reform's envelope if it sets one.
    ``overlay``: the user's parameter folders (under both; the reform goes on top of them)."""
    log = journal or (lambda m: None)
    lake = Path(lake)
    dossier_annee(lake, annee)
    base = charger_parametres(overlay=overlays(overlay))
    p_reforme = charger_parametres(overlay=[*overlays(overlay), Path(reforme)])
    with tempfile.TemporaryDirectory(prefix="forfaits-simulation-") as t:
        log(f"baseline {annee}")
        r0, modeles = _resultats(lake, annee, base, Path(t) / "base", memoire, log)
        memes = variables(base, annee) == variables(p_reforme, annee)
        log(f"reform {reforme}" + (" (same model variables: models reused)" if memes else ""))
        r1, _ = _resultats(
            lake, annee, p_reforme, Path(t) / "reforme", memoire, log, modeles if memes else None
        )
    rapport = comparer(r0.paiements, r1.paiements)
    return {
        "annee_reference": annee,
        "reforme": str(reforme),
        "empreinte_base": base.empreinte,
        "empreinte_reforme": p_reforme.empreinte,
        "dispositifs": rapport,
        "enveloppes": enveloppes(rapport, p_reforme, annee),
    }

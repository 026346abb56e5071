"""The annual run of reference year N: lake → DuckDB models → rules → validated payment file (outputs.md),
then, with a ledger, its publication. The year N is the partition key: a backfill re-runs years. It runs
in-process; flows/orchestration.py runs the same function as a Prefect flow, its steps as tasks.

This module wires the steps; each lives in its own module: the ingest (flows/ingest.py), the models and their
cache (flows/modeles.py), the reference thresholds (flows/reference.py), the rules (transforms/calcul.py
through flows/etapes.py), the run folder and its manifest (flows/dossier_run.py), the ledger
(flows/ledger.py).
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

from flows.dossier_run import ecrire_sorties, nettoyer_temporaires, nouveau_dossier, publier_run
from flows.erreurs import ErreurRun
from flows.etapes import appeler, calculer_annee
from flows.fichiers import panne
from flows.ingest import deja_ingere, ingerer
from flows.lake import dossier_annee
from flows.ledger import publier as publier_ledger
from flows.parametres_io import charger_parametres
from flows.rapport import rapport_run
from flows.reference import annexes_du_run
from flows.reglages import Reglages
from transforms.parametres import JeuParametres
from transforms.registre import REGLES, Regle

__all__ = ["ErreurRun", "executer"]


def executer(
    annee: int,
    reglages: Reglages,
    extract: Path | None = None,
    parametres: JeuParametres | None = None,
    etape: Callable | None = None,
    echeance: date | None = None,
    regles: Sequence[Regle] = REGLES,
) -> dict:
    """The annual run of year N without Prefect (the flow below runs the same steps as tasks); with
    ``reglages.ledger``, the run is then published through it (flows/ledger.py)."""
    debut = time.perf_counter()
    log, lancer = reglages.journal, etape or appeler
    p = parametres or charger_parametres()
    lake, out = reglages.lake, reglages.out
    durees: dict[str, float] = {}

    def mesure(fn, *a, **k):  # each step's time, for the manifest and the report
        t = time.perf_counter()
        try:
            return lancer(fn, *a, **k)
        finally:
            durees[fn.__name__] = round(durees.get(fn.__name__, 0) + time.perf_counter() - t, 2)

    if extract is not None and deja_ingere(Path(extract), annee, lake, p):
        log(f"year {annee} is already in the lake from these very files: ingest skipped")
    elif extract is not None:
        mesure(ingerer, Path(extract), annee, lake, p, journal=log)
    panne("apres_ingest")
    dossier_annee(lake, annee)
    out.mkdir(parents=True, exist_ok=True)
    for d in nettoyer_temporaires(out):
        log(f"removed {d.name}, left by a run that did not finish")
    run_id, travail = nouveau_dossier(out, annee)
    try:
        t, avant = time.perf_counter(), sum(durees.values())
        with p.suivi() as lus:  # which parameters the run reads: its manifest names their warnings
            r, frames = calculer_annee(reglages, annee, p, travail, regles, mesure)
        durees["regles"] = round(time.perf_counter() - t - (sum(durees.values()) - avant), 2)
        annexes = annexes_du_run(reglages.lake, annee, p, frames) | {
            "durees": dict(durees),
            "publications": str(reglages.dossier_publications.resolve()),
        }
        manifest = lancer(ecrire_sorties, r, p, annee, lake, travail, run_id, regles, lus, annexes)
        lancer(rapport_run, travail, None, p)
        panne("avant_renommage_run")
        dossier = lancer(publier_run, travail, out, run_id)
    except BaseException:
        shutil.rmtree(travail, ignore_errors=True)
        raise
    log(f"run {run_id}: {manifest['total']['nb_lignes']:,} payment lines in {dossier}")
    resultat = {
        "dossier": str(dossier),
        **{k: manifest[k] for k in ("run_id", "totaux_de_controle", "total")},
        "secondes": round(time.perf_counter() - debut, 3),  # the computation, without the process around it
    }
    panne("avant_publication")
    if reglages.ledger is not None:
        t = time.perf_counter()
        pub = lancer(publier_ledger, dossier, reglages.ledger, reglages.dossier_publications, echeance, log)
        resultat["publication"] = {k: pub[k] for k in RESUME_PUBLICATION}
        resultat["publication"]["secondes"] = round(time.perf_counter() - t, 3)
    return resultat


RESUME_PUBLICATION = (
    "dossier",
    "publication_id",
    "annee_reference",
    "reprise",
    "totaux_de_controle",
    "total",
    "nouvelles_cles",
    "regularisations",
)

"""The annual run of reference year N: lake → DuckDB models → rules → validated payment file (outputs.md),
then, with a ledger, its publication. The year N is the partition key: a backfill re-runs years.

This module wires the steps; each lives in its own module: the ingest (flows/ingest.py), the models and their
cache (flows/modeles.py), the reference thresholds (flows/reference.py), the rules (transforms/calcul.py
through flows/etapes.py), the run folder and its manifest (flows/dossier_run.py), the ledger
(flows/ledger.py).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from flows.dossier_run import ecrire_sorties, nettoyer_temporaires, nouveau_dossier, publier_run
from flows.erreurs import ErreurRun
from flows.etapes import appeler, calculer_annee
from flows.fichiers import panne
from flows.ingest import deja_ingere, ingerer
from flows.lake import dossier_annee
from flows.ledger import publier as publier_ledger
from flows.modeles import cle_cache_modeles, modeles
from flows.parametres_io import charger_parametres
from flows.reference import seuils_reference
from flows.reglages import MEMOIRE_PAR_DEFAUT, Reglages
from transforms.parametres import JeuParametres
from transforms.registre import REGLES, Regle

__all__ = ["ErreurRun", "annual_run", "executer"]


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
    log, lancer = reglages.journal, etape or appeler
    p = parametres or charger_parametres()
    lake, out = reglages.lake, reglages.out
    if extract is not None and deja_ingere(Path(extract), annee, lake, p):
        log(f"year {annee} is already in the lake from these very files: ingest skipped")
    elif extract is not None:
        lancer(ingerer, Path(extract), annee, lake, p, journal=log)
    panne("apres_ingest")
    dossier_annee(lake, annee)
    out.mkdir(parents=True, exist_ok=True)
    for d in nettoyer_temporaires(out):
        log(f"removed {d.name}, left by a run that did not finish")
    run_id, travail = nouveau_dossier(out, annee)
    try:
        r, _ = calculer_annee(reglages, annee, p, travail, regles, lancer)
        manifest = lancer(ecrire_sorties, r, p, annee, lake, travail, run_id, regles)
        panne("avant_renommage_run")
        dossier = lancer(publier_run, travail, out, run_id)
    except BaseException:
        shutil.rmtree(travail, ignore_errors=True)
        raise
    log(f"run {run_id}: {manifest['total']['nb_lignes']:,} payment lines in {dossier}")
    resultat = {
        "dossier": str(dossier),
        **{k: manifest[k] for k in ("run_id", "totaux_de_controle", "total")},
    }
    panne("avant_publication")
    if reglages.ledger is not None:
        pub = lancer(publier_ledger, dossier, reglages.ledger, reglages.dossier_publications, echeance, log)
        resultat["publication"] = {k: pub[k] for k in RESUME_PUBLICATION}
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


@flow(name="annual_run", log_prints=False)
def annual_run(
    annee: int,
    lake: str,
    out: str,
    extract: str | None = None,
    overlay: str | list[str] | None = None,
    memoire: str = MEMOIRE_PAR_DEFAUT,
    ledger: str | None = None,
    publications: str | None = None,
    echeance: date | None = None,
) -> dict:
    """Prefect flow of the annual run; with ``ledger``, the run is published through it (``publications``:
    where publication folders go).

    Resume: the models task's outputs are persisted in the lake under the key of their inputs (ingests read,
    model variables, code), which is also its Prefect cache key; the reference percentiles are kept the same
    way. A run started again after a failure reads them back and goes on from there."""
    taches = {
        ingerer: task(ingerer, name="ingest", cache_policy=NO_CACHE),
        modeles: task(modeles, name="models", cache_key_fn=cle_cache_modeles, persist_result=True),
        seuils_reference: task(seuils_reference, name="reference percentiles", cache_policy=NO_CACHE),
        ecrire_sorties: task(ecrire_sorties, name="outputs", cache_policy=NO_CACHE),
        publier_run: task(
            publier_run, name="publish run folder", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=5
        ),
        publier_ledger: task(publier_ledger, name="publish through the ledger", cache_policy=NO_CACHE),
    }

    def etape(fn, *a, **k):
        return taches[fn](*a, **k)

    reglages = Reglages(
        Path(lake),
        Path(out),
        memoire,
        Path(ledger) if ledger else None,
        Path(publications) if publications else None,
        get_run_logger().info,
    )
    return executer(
        annee,
        reglages,
        Path(extract) if extract else None,
        charger_parametres(overlay=overlay or None),
        etape=etape,
        echeance=echeance,
    )

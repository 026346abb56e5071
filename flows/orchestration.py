"""The Prefect flows: the same steps as the in-process commands, recorded by a Prefect server.

Used when a standing server is configured (``PREFECT_API_URL``), when asked (``--prefect``) and by
``forfaits serve``; otherwise the commands run the steps in-process without starting any server
(docs/operations.md, "Prefect"). Each run is named after what it does: ``annual-run-2025``, ``ingest-2025``,
``backfill-2021-2025``, ``scheduled-annual-run``.

The scheduled annual run: a deployment with a cron schedule (default 06:00 on 1 March, Europe/Paris). The
first installments of N+1 fall due on 15 April (forfait médecin traitant) and 30 April (yearly forfaits): the
run of N on 1 March leaves six weeks to check and publish. On each date it runs and publishes year N = (the
year of the date) − 1 from ``<extracts>/<N>``. Prefect schedules need a standing server (``prefect server
start``, then ``PREFECT_API_URL``): on the ephemeral server, ``serve`` registers the deployment but creates no
run.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import polars as pl
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.schedules import Cron

from flows.annual_run import executer
from flows.backfill import extrait_de, une_annee, verifier
from flows.dossier_run import ecrire_sorties, publier_run
from flows.ingest import deja_ingere, ingerer
from flows.journal import journal_du_produit
from flows.ledger import publier as publier_ledger
from flows.modeles import cle_cache_modeles, modeles
from flows.parametres_io import charger_parametres
from flows.rapport import rapport_run
from flows.reference import seuils_reference
from flows.reglages import MEMOIRE_PAR_DEFAUT, Reglages
from transforms.rapport import entier, euros, totaux

CRON_PAR_DEFAUT = "0 6 1 3 *"
FUSEAU = "Europe/Paris"
NOM_DEPLOIEMENT = "annual-run"


def _journal():
    """Progress to the flow run's log (the Prefect UI) and to the command's own output."""
    logger, produit = get_run_logger(), journal_du_produit()

    def journal(message: str) -> None:
        logger.info(message)
        produit(message)

    return journal


@flow(name="annual_run", flow_run_name="annual-run-{annee}", log_prints=False)
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
    """The annual run of year N (flows/annual_run.py), its steps as tasks; with ``ledger``, published.

    Resume: the models task's outputs are persisted in the lake under the key of their inputs (ingests read,
    model variables, code), which is also its Prefect cache key; the reference percentiles are kept the same
    way. A run started again after a failure reads them back and goes on from there."""
    taches = {
        ingerer: task(ingerer, name="ingest", cache_policy=NO_CACHE),
        modeles: task(modeles, name="models", cache_key_fn=cle_cache_modeles, persist_result=True),
        seuils_reference: task(seuils_reference, name="reference percentiles", cache_policy=NO_CACHE),
        ecrire_sorties: task(ecrire_sorties, name="outputs", cache_policy=NO_CACHE),
        rapport_run: task(rapport_run, name="sign-off report", cache_policy=NO_CACHE),
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
        _journal(),
    )
    resultat = executer(
        annee,
        reglages,
        Path(extract) if extract else None,
        charger_parametres(overlay=overlay or None),
        etape=etape,
        echeance=echeance,
    )
    publier_artefacts(annee, Path(resultat["dossier"]))
    return resultat


def publier_artefacts(annee: int, dossier: Path) -> None:
    """The headline figures of the run's report as Prefect artifacts, keyed by year: the amounts to pay and
    to recover per dispositif (a table), and the total, the warnings and where the report is (markdown)."""
    manifest = json.loads((dossier / "manifest.json").read_text(encoding="utf-8"))
    t = totaux(pl.read_parquet(dossier / "paiements.parquet"), ("dispositif",))
    lignes = [
        {
            "dispositif": x["dispositif"],
            "to pay": euros(x["a_payer_centimes"] or 0),
            "to recover": euros(x["a_recouvrer_centimes"] or 0),
            "net": euros(x["net_centimes"]),
            "lines": entier(x["nb_lignes"]),
            "beneficiaries": entier(x["nb_beneficiaires"]),
        }
        for x in t.iter_rows(named=True)
    ]
    create_table_artifact(
        lignes, key=f"paiements-{annee}", description=f"Payment file of {annee}, per dispositif"
    )
    avertissements = manifest["parametres"].get("avertissements_utilises", {})
    texte = [
        f"# Payment file of {annee}, paid in {annee + 1}",
        f"Run `{manifest['run_id']}`: **{euros(manifest['total']['somme_centimes'])}** in "
        f"{entier(manifest['total']['nb_lignes'])} lines. Sign-off report: `{dossier / 'rapport.html'}`.",
        *[f"- **Illustrative values used** ({f}): {a}" for f, a in avertissements.items()],
    ]
    create_markdown_artifact("\n\n".join(texte), key=f"rapport-{annee}", description=f"Run of {annee}")


@flow(name="ingest", flow_run_name="ingest-{annee}", log_prints=False)
def ingest_flow(extract: str, annee: int, lake: str, overlay: str | list[str] | None = None) -> dict:
    """Ingest one year (the partition key is the explicit argument ``annee``)."""
    p = charger_parametres(overlay=overlay or None)
    return ingerer(Path(extract), annee, Path(lake), p, journal=_journal())


def _nom_backfill() -> str:
    from prefect.runtime import flow_run

    annees = flow_run.parameters["annees"]
    return f"backfill-{min(annees)}-{max(annees)}"


@flow(name="backfill", flow_run_name=_nom_backfill, log_prints=False)
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
    """Check every year, ingest the extracts given (``ingest`` subflows), then run (with ``ledger``: and
    publish) each year as an ``annual_run`` subflow, in ascending order; return per year the run and what
    changed (flows/backfill.py)."""
    p = charger_parametres(overlay=overlay or None)
    annees = sorted(set(annees))
    verifier(annees, Path(lake), Path(extracts) if extracts else None, p)
    for a in annees:
        extrait = extrait_de(a, Path(extracts) if extracts else None)
        if extrait is not None and not deja_ingere(extrait, a, Path(lake), p):
            ingest_flow(str(extrait), a, lake, overlay)

    def run(annee: int) -> dict:
        return annual_run(annee, lake, out, None, overlay, memoire, ledger, publications, echeance)

    return {a: une_annee(a, Path(out), run) for a in annees}


@flow(name="annual_run_planifie", flow_run_name="scheduled-annual-run", log_prints=False)
def annual_run_planifie(
    extracts: str,
    lake: str,
    out: str,
    ledger: str,
    publications: str,
    memoire: str = MEMOIRE_PAR_DEFAUT,
    overlay: list[str] | None = None,
) -> dict:
    """Year N = last year: ingest ``<extracts>/<N>``, run and publish it through the ledger (``overlay``:
    the user's parameter folders, such as the CPTS mission amounts)."""
    annee = date.today().year - 1
    return annual_run(
        annee,
        lake,
        out,
        extract=str(Path(extracts) / str(annee)),
        overlay=overlay,
        memoire=memoire,
        ledger=ledger,
        publications=publications,
    )


def deploiement(parametres: dict, cron: str = CRON_PAR_DEFAUT, fuseau: str = FUSEAU):
    """The deployment of the scheduled annual run (a RunnerDeployment, not yet registered)."""
    return annual_run_planifie.to_deployment(
        name=NOM_DEPLOIEMENT,
        schedules=[Cron(cron, timezone=fuseau)],
        parameters=parametres,
        description="Annual run of last year, published through the ledger",
    )

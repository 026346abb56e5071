"""Backfills and reform scenarios spread over a Dask cluster, through Prefect's Dask task runner.

``backfill_reparti``: every year is checked first (flows/backfill.py ``verifier``); then the extracts given
are ingested in parallel (one task per year); then the reference distribution of the assistant aid (2021)
is computed once; then the years run in parallel, one task per year, each on one worker; then, with a
ledger, the runs are published **serially, in ascending year order, by this flow's own process** (the ledger
has one writer: the flow; no worker ever opens it). ``simulations_reparties``: one task per reform.

A worker that dies mid-task loses nothing: the task is run again on another worker (Dask reschedules it);
its unfinished run folder (``.tmp-*``), whose owner record names a process that is gone, is removed by the
next run on that host (flows/proprietaire.py). Each task reads its DuckDB memory and threads from its worker
(flows/grappe.py ``ressources``).
"""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from flows.annual_run import RESUME_PUBLICATION, executer
from flows.backfill import ecarts, extrait_de, verifier
from flows.dossier_run import runs_publies
from flows.grappe import ressources
from flows.ingest import deja_ingere, ingerer
from flows.ledger import publier
from flows.orchestration import _journal, _nom_backfill
from flows.parametres_io import charger_parametres
from flows.rapport import rapport_run
from flows.reference import percentiles_de
from flows.reglages import MEMOIRE_PAR_DEFAUT, Reglages
from flows.simulate import simuler
from transforms.registre import en_vigueur
from transforms.rules.aide_assistant_medical import annee_reference


@task(name="ingest", task_run_name="ingest-{annee}", cache_policy=NO_CACHE)
def t_ingest(extrait: str, annee: int, lake: str, overlay: list[str] | None, memoire: str) -> dict:
    memoire, _ = ressources(memoire)
    p = charger_parametres(overlay=overlay or None)
    return ingerer(Path(extrait), annee, Path(lake), p, memoire=memoire, journal=_journal())


@task(name="reference percentiles", task_run_name="reference-{annee}", cache_policy=NO_CACHE)
def t_reference(annee: int, lake: str, overlay: list[str] | None, memoire: str) -> None:
    memoire, fils = ressources(memoire)
    p = charger_parametres(overlay=overlay or None)
    reglages = Reglages(Path(lake), memoire=memoire, journal=_journal(), fils=fils)
    with tempfile.TemporaryDirectory(prefix="forfaits-reference-") as t:
        percentiles_de(reglages, annee, p, Path(t) / "travail")


@task(name="annual run", task_run_name="annual-run-{annee}", cache_policy=NO_CACHE, retries=1)
def t_run(
    annee: int,
    lake: str,
    out: str,
    overlay: list[str] | None,
    memoire: str,
    publications: str | None,
) -> dict:
    memoire, fils = ressources(memoire)
    p = charger_parametres(overlay=overlay or None)
    pubs = Path(publications) if publications else None
    reglages = Reglages(Path(lake), Path(out), memoire, None, pubs, _journal(), fils)
    return executer(annee, reglages, None, p)


@flow(name="backfill", flow_run_name=_nom_backfill, log_prints=False)
def backfill_reparti(
    annees: list[int],
    lake: str,
    out: str,
    extracts: str | None = None,
    overlay: list[str] | None = None,
    memoire: str = MEMOIRE_PAR_DEFAUT,
    ledger: str | None = None,
    publications: str | None = None,
    echeance: date | None = None,
) -> dict:
    """The backfill of flows/backfill.py, its years in parallel on the flow's task runner (Dask); see the
    module's docstring. Returns per year the run (its publication) and what changed."""
    p = charger_parametres(overlay=overlay or None)
    annees = sorted(set(annees))
    x = Path(extracts) if extracts else None
    verifier(annees, Path(lake), x, p)
    ingests = [
        t_ingest.submit(str(e), a, lake, overlay, memoire)
        for a in annees
        if (e := extrait_de(a, x)) is not None and not deja_ingere(e, a, Path(lake), p)
    ]
    for f in ingests:
        f.result()  # raises the first failure: nothing is run on a half-ingested range
    references = sorted(
        {annee_reference(p, a) for a in annees if en_vigueur("aide_assistant_medical", p, a)}
        & {int(d.name.removeprefix("annee=")) for d in Path(lake).glob("annee=*")}
    )
    for f in [t_reference.submit(r, lake, overlay, memoire) for r in references]:
        f.result()
    avant = {a: runs_publies(Path(out), a) for a in annees}
    runs = {a: t_run.submit(a, lake, out, overlay, memoire, publications) for a in annees}
    resultats = {a: runs[a].result() for a in annees}
    for a in annees:  # one writer, in ascending order, after every year has run
        r = resultats[a]
        if ledger is not None:
            pub = publier(Path(r["dossier"]), Path(ledger), Path(publications), echeance, _journal())
            r["publication"] = {k: pub[k] for k in RESUME_PUBLICATION}
        r["changements"] = ecarts(avant[a][-1] if avant[a] else None, Path(r["dossier"]))
        # its report again, now that the years before it have run (and are published): run in parallel, it
        # may have been built before the run of N−1 it compares with existed
        rapport_run(Path(r["dossier"]), None, p)
    return resultats


@task(name="scenario", task_run_name="scenario-{nom}", cache_policy=NO_CACHE)
def t_scenario(
    nom: str, annee: int, lake: str, reforme: str, overlay: list[str] | None, memoire: str
) -> dict:
    memoire, fils = ressources(memoire)
    reglages = Reglages(Path(lake), memoire=memoire, journal=_journal(), fils=fils)
    return simuler(annee, reglages, Path(reforme), overlay=overlay)


@flow(name="simulate", flow_run_name="simulate-{annee}", log_prints=False)
def simulations_reparties(
    annee: int,
    lake: str,
    reformes: list[str],
    overlay: list[str] | None = None,
    memoire: str = MEMOIRE_PAR_DEFAUT,
) -> list[dict]:
    """One task per reform folder, in parallel on the flow's task runner; the results in the order given."""
    futurs = [t_scenario.submit(Path(r).name, annee, lake, r, overlay, memoire) for r in reformes]
    return [f.result() for f in futurs]

"""The scheduled annual run: a Prefect deployment with a cron schedule, served by ``forfaits serve``.

Default schedule: 06:00 on 1 March, Europe/Paris. The first installments of N+1 fall due on 15 April (forfait
médecin traitant) and 30 April (yearly forfaits): the run of N on 1 March leaves six weeks to check and
publish. On each date the scheduled flow runs and publishes year N = (the year of the date) − 1 from
``<extracts>/<N>``. Prefect schedules need a standing server (``prefect server start``, then
``PREFECT_API_URL``): on the ephemeral server, ``serve`` registers the deployment but creates no run.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from prefect import flow
from prefect.schedules import Cron

from flows.annual_run import annual_run
from flows.reglages import MEMOIRE_PAR_DEFAUT

CRON_PAR_DEFAUT = "0 6 1 3 *"
FUSEAU = "Europe/Paris"
NOM_DEPLOIEMENT = "annual-run"


@flow(name="annual_run_planifie", log_prints=False)
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

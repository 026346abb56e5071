"""Command line: ``forfaits generate | ingest | run | publish | backfill | serve | explain | simulate``.

Quiet and quick by default: a command runs its steps in-process and starts no server; with a standing Prefect
server (``PREFECT_API_URL``), or ``--prefect``, ingest, run and backfill go through Prefect and are recorded
there. No telemetry is sent, whatever the environment. An expected error prints one message — what, where,
what to do — and exits with its class's code (flows/erreurs.py, README "Exit codes"); with ``--json`` an
error object goes to stdout. Only a bug shows a traceback, with where its log is.
"""

from __future__ import annotations

import os

# before anything imports Prefect: no telemetry from this command, whatever the environment
os.environ["DO_NOT_TRACK"] = "1"
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "CRITICAL")  # progress: our own lines

import atexit  # noqa: E402
import errno  # noqa: E402
import json  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402
import traceback  # noqa: E402
from collections.abc import Callable  # noqa: E402
from datetime import datetime  # noqa: E402
from enum import StrEnum  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Annotated, NoReturn  # noqa: E402

import typer  # noqa: E402

from flows.erreurs import EntreeRefusee, ErreurAttendue, ErreurRun, Sortie  # noqa: E402
from flows.reglages import MEMOIRE_PAR_DEFAUT  # noqa: E402

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Forfaits: annual non fee-for-service payments to liberal doctors, to a validated payment file.",
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(afficher: bool) -> None:
    if afficher:
        from flows.version import version_code

        typer.echo(f"forfaits {version_code()}")
        raise typer.Exit()


@app.callback()
def _racine(
    version: Annotated[
        bool | None,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version and commit"),
    ] = None,
) -> None:
    """Forfaits: annual non fee-for-service payments to liberal doctors, to a validated payment file."""


class Format(StrEnum):
    csv = "csv"
    parquet = "parquet"


DIR = "DIR"
LAKE = typer.Option(envvar="FORFAITS_LAKE", metavar=DIR, help="Lake folder")
OUT = typer.Option(envvar="FORFAITS_OUT", metavar=DIR, help="Folder of the runs")
LEDGER = typer.Option(envvar="FORFAITS_LEDGER", metavar="FILE", help="Ledger file (append-only)")
PUBLICATIONS = typer.Option(envvar="FORFAITS_PUBLICATIONS", metavar=DIR, help="Folder of the publications")
OVERLAY = typer.Option(
    "--overlay",
    metavar=DIR,
    help="Parameter overlay folder (values you supply, a reform); repeat it to stack several, in order",
)
MEMORY = typer.Option(metavar="SIZE", help="DuckDB memory limit, e.g. 6GB")
ECHEANCE = typer.Option(
    help="Due date of the publication's REGULARISATION lines (default: 1st of next month)",
    formats=["%Y-%m-%d"],
    metavar="YYYY-MM-DD",
)
JSON = typer.Option("--json", help="Print the result (or the error) as JSON on stdout")
QUIET = typer.Option("--quiet", "-q", help="No progress lines (errors and the result only)")
CLUSTER = typer.Option(
    envvar="FORFAITS_CLUSTER",
    metavar="ADDRESS",
    help="Spread the years (or scenarios) over a Dask cluster: tcp://HOST:8786, or 'local' (sized from this "
    "machine); through Prefect",
)
PREFECT = typer.Option(
    "--prefect/--no-prefect",
    help="Record the run in Prefect (default: when PREFECT_API_URL names a standing server)",
    show_default=False,
)
LOG = typer.Option(envvar="FORFAITS_LOG", metavar="FILE", help="Where the command's log is appended")
LOG_PAR_DEFAUT = Path("data/logs/forfaits.log")


def _annees(texte: str) -> list[int]:
    annees: list[int] = []
    try:
        for part in texte.split(","):
            debut, _, fin = part.partition("-")
            annees += list(range(int(debut), int(fin or debut) + 1))
    except ValueError:
        raise typer.BadParameter(f"'{texte}' is not a list of years such as 2021-2025 or 2020,2021") from None
    if not annees:
        raise typer.BadParameter(f"'{texte}' names no year")
    return annees


def _utiliser_prefect(choix: bool | None) -> bool:
    return choix if choix is not None else bool(os.environ.get("PREFECT_API_URL"))


def _par_prefect(flux: Callable[[], object]) -> object:
    """Run a flow through Prefect: the standing server of ``PREFECT_API_URL``, or one started for this
    command and tied to it (flows/serveur_prefect.py: it dies with the command, even on ``kill -9``)."""
    if os.environ.get("PREFECT_API_URL"):
        return flux()
    from flows.journal import journal_du_produit
    from flows.serveur_prefect import serveur_lie

    with serveur_lie(journal_du_produit()):
        return flux()


def _taire_la_sortie() -> None:
    """After the last exit handler: no teardown message (duckdb's nanobind 'leaked …' lists)."""
    sys.stdout.flush()
    sys.stderr.flush()
    nul = os.open(os.devnull, os.O_WRONLY)
    os.dup2(nul, 2)


def commande(
    nom: str,
    action: Callable[[], object],
    json_: bool,
    afficher: Callable[[object], None],
    silencieux: bool = False,
    log: Path | None = None,
) -> object:
    """Run ``action`` with the product's progress on stderr (and in ``log``); print and return its result,
    or print its error in one message and exit with the error's class's code."""
    from flows.journal import configurer
    from transforms.parametres import ParametreError

    fichier = log or LOG_PAR_DEFAUT
    logger = configurer(silencieux or json_, fichier)
    logger.debug(f"forfaits {' '.join(sys.argv[1:])}")
    try:
        resultat = action()
        if json_:
            typer.echo(json.dumps(resultat, default=str, ensure_ascii=False))
        else:
            afficher(resultat)
    except (ErreurAttendue, ParametreError) as e:
        classe = e if isinstance(e, ErreurAttendue) else ErreurRun()
        _erreur(nom, str(e), classe.sortie, classe.classe, json_)
        logger.debug(f"{nom} stopped ({classe.classe}): {e}")
        raise typer.Exit(classe.sortie) from None
    except OSError as e:
        if e.errno not in (errno.ENOSPC, errno.EDQUOT):
            _bug(nom, e, fichier, logger, json_)
        message = disque_plein(e)
        _erreur(nom, message, Sortie.MACHINE, "machine", json_)
        logger.debug(f"{nom} stopped (machine): {message}")
        raise typer.Exit(Sortie.MACHINE) from None
    except Exception as e:  # a bug: its traceback, and where the log is
        _bug(nom, e, fichier, logger, json_)
    return resultat


def disque_plein(e: OSError) -> str:
    """The message of a full disk (or quota): where, how much is free, what to do."""
    chemin = Path(e.filename) if e.filename else Path.cwd()
    parent = next((p for p in [chemin, *chemin.parents] if p.exists()), Path.cwd())
    libre = shutil.disk_usage(parent).free
    return (
        f"the disk is full writing {chemin} ({libre / 2**30:.1f} GiB free on its file system); nothing was "
        "published and earlier outputs are untouched. Free space (an ingest needs about twice the extract's "
        'size; docs/operations.md, "Disk") and run the command again.'
    )


def _bug(nom: str, e: Exception, fichier: Path, logger, json_: bool) -> NoReturn:
    """A bug: its traceback (on stderr and in the log), and where the log is."""
    logger.error(f"{nom}: unexpected error\n{traceback.format_exc()}")
    traceback.print_exc()
    message = (
        f"unexpected error ({type(e).__name__}): this is a bug in forfaits, not in your data; "
        f"its traceback is in {fichier.resolve()}"
    )
    _erreur(nom, message, Sortie.BUG, "bug", json_)
    raise typer.Exit(Sortie.BUG) from None


def _erreur(nom: str, message: str, sortie: int, classe: str, json_: bool) -> None:
    typer.echo(f"forfaits {nom}: {message}", err=True)
    if json_:
        erreur = {"classe": classe, "code_sortie": int(sortie), "message": message}
        typer.echo(json.dumps({"erreur": erreur}, ensure_ascii=False))


def _parametres(overlay: list[Path] | None):
    """The parameters with the user's overlays; a file that cannot be read refuses the command."""
    from flows.parametres_io import charger_parametres
    from transforms.parametres import ParametreError

    try:
        return charger_parametres(overlay=overlay or None)
    except ParametreError as e:
        raise EntreeRefusee(f"{e}. Fix the parameter file, then run the command again.") from None


def _chemins(overlay: list[Path] | None) -> list[str] | None:
    return [str(x) for x in overlay] if overlay else None


def _absolus(overlay: list[Path] | None) -> list[str] | None:
    return [str(x.resolve()) for x in overlay] if overlay else None


@app.command()
def generate(
    out: Annotated[Path, typer.Option(metavar=DIR, help="Folder that receives one sub-folder per year")],
    years: Annotated[str, typer.Option(metavar="YEARS", help="e.g. 2019-2026 or 2020,2021")] = "2019-2026",
    scale: Annotated[
        float, typer.Option(metavar="SCALE", help="1 = national (≈ 113 000 doctors, ≈ 450 M claim lines)")
    ] = 0.01,
    seed: Annotated[int, typer.Option(metavar="SEED", help="Same seed, same files")] = 42,
    format: Annotated[Format, typer.Option(help="csv (SNDS delivery: ';', gzip) or parquet")] = Format.csv,
    memory: Annotated[str, MEMORY] = MEMOIRE_PAR_DEFAUT,
    quiet: Annotated[bool, QUIET] = False,
    log: Annotated[Path | None, LOG] = None,
) -> None:
    """Write synthetic yearly extracts (every table of inputs.md) with planted boundary cases."""
    annees = _annees(years)

    def action():
        from flows.generation import generer
        from flows.journal import journal_du_produit

        generer(out, annees, scale, seed, format.value, _parametres(None), memory, journal_du_produit())
        return {"extraits": str(out), "annees": annees}

    commande("generate", action, False, lambda r: None, quiet, log)


@app.command()
def ingest(
    extract: Annotated[Path, typer.Option(metavar=DIR, help="Folder of one year's extract")],
    year: Annotated[int, typer.Option(metavar="N", help="Reference year N of the extract")],
    lake: Annotated[Path, LAKE] = Path("data/lake"),
    overlay: Annotated[list[Path] | None, OVERLAY] = None,
    json_: Annotated[bool, JSON] = False,
    quiet: Annotated[bool, QUIET] = False,
    prefect: Annotated[bool | None, PREFECT] = None,
    log: Annotated[Path | None, LOG] = None,
) -> None:
    """Validate one year's extract and write it to the lake (atomically; defective rows to quarantine)."""

    def action():
        p = _parametres(overlay)
        if _utiliser_prefect(prefect):
            from flows.orchestration import ingest_flow

            return _par_prefect(lambda: ingest_flow(str(extract), year, str(lake), _chemins(overlay)))
        from flows.ingest import ingerer
        from flows.journal import journal_du_produit

        return ingerer(extract, year, lake, p, journal=journal_du_produit())

    from flows.rendu import afficher_rapport

    commande("ingest", action, json_, afficher_rapport, quiet, log)


@app.command()
def run(
    year: Annotated[int, typer.Option(metavar="N", help="Reference year N (payments fall in N+1)")],
    lake: Annotated[Path, LAKE] = Path("data/lake"),
    out: Annotated[Path, OUT] = Path("data/runs"),
    extract: Annotated[Path | None, typer.Option(metavar=DIR, help="Ingest this extract of N first")] = None,
    overlay: Annotated[list[Path] | None, OVERLAY] = None,
    memory: Annotated[str, MEMORY] = MEMOIRE_PAR_DEFAUT,
    publish: Annotated[bool, typer.Option("--publish", help="Publish the run through the ledger")] = False,
    ledger: Annotated[Path, LEDGER] = Path("data/ledger/ledger.duckdb"),
    publications: Annotated[Path, PUBLICATIONS] = Path("data/publications"),
    echeance: Annotated[datetime | None, ECHEANCE] = None,
    json_: Annotated[bool, JSON] = False,
    quiet: Annotated[bool, QUIET] = False,
    prefect: Annotated[bool | None, PREFECT] = None,
    log: Annotated[Path | None, LOG] = None,
) -> None:
    """Compute year N's payment file into a new, atomically published run folder (and publish it)."""
    du = echeance.date() if echeance else None

    def action():
        p = _parametres(overlay)
        if _utiliser_prefect(prefect):
            from flows.orchestration import annual_run

            return _par_prefect(
                lambda: annual_run(
                    year,
                    str(lake),
                    str(out),
                    str(extract) if extract else None,
                    _chemins(overlay),
                    memory,
                    str(ledger) if publish else None,
                    str(publications),
                    du,
                )
            )
        from flows.annual_run import executer
        from flows.journal import journal_du_produit
        from flows.reglages import Reglages

        reglages = Reglages(
            lake, out, memory, ledger if publish else None, publications, journal_du_produit()
        )
        return executer(year, reglages, extract, p, echeance=du)

    from flows.rendu import afficher_run

    commande("run", action, json_, afficher_run, quiet, log)


@app.command()
def publish(
    run: Annotated[
        Path | None, typer.Option(metavar=DIR, help="Run folder (as printed by forfaits run)")
    ] = None,
    year: Annotated[
        int | None, typer.Option(metavar="N", help="Publish the latest run of year N (of --out)")
    ] = None,
    out: Annotated[Path, OUT] = Path("data/runs"),
    ledger: Annotated[Path, LEDGER] = Path("data/ledger/ledger.duckdb"),
    publications: Annotated[Path, PUBLICATIONS] = Path("data/publications"),
    echeance: Annotated[datetime | None, ECHEANCE] = None,
    json_: Annotated[bool, JSON] = False,
    quiet: Annotated[bool, QUIET] = False,
    log: Annotated[Path | None, LOG] = None,
) -> None:
    """Publish a run through the ledger: new keys, REGULARISATION deltas and cancellations; nothing twice."""
    if (run is None) == (year is None):
        raise typer.BadParameter("give either the run folder (--run DIR) or its year (--year N)")

    def action():
        from flows.dossier_run import dernier_run
        from flows.journal import journal_du_produit
        from flows.ledger import publier

        dossier = run if run is not None else dernier_run(out, year)
        return publier(
            dossier, ledger, publications, echeance.date() if echeance else None, journal_du_produit()
        )

    from flows.rendu import afficher_publication

    commande("publish", action, json_, afficher_publication, quiet, log)


@app.command()
def replay(
    ledger: Annotated[Path, LEDGER] = Path("data/ledger/ledger.duckdb"),
    publications: Annotated[Path, PUBLICATIONS] = Path("data/publications"),
    new: Annotated[
        bool, typer.Option("--new", help="No backup at all: build a new ledger from every publication folder")
    ] = False,
    json_: Annotated[bool, JSON] = False,
    quiet: Annotated[bool, QUIET] = False,
    log: Annotated[Path | None, LOG] = None,
) -> None:
    """After restoring the ledger from a backup: append the publications its folders hold and it lacks."""

    def action():
        from flows.journal import journal_du_produit
        from flows.ledger import rejouer

        return rejouer(ledger, publications, new, journal_du_produit())

    from flows.rendu import afficher_rejeu

    commande("replay", action, json_, afficher_rejeu, quiet, log)


@app.command()
def prune(
    keep: Annotated[
        int, typer.Option(metavar="N", min=0, help="Failed ingests and old lake versions to keep")
    ] = 2,
    lake: Annotated[Path, LAKE] = Path("data/lake"),
    json_: Annotated[bool, JSON] = False,
    quiet: Annotated[bool, QUIET] = False,
    log: Annotated[Path | None, LOG] = None,
) -> None:
    """Remove failed ingests and old lake versions but the N newest, and what stopped ingests left."""

    def action():
        from flows.lake import elaguer

        if not lake.is_dir():
            raise EntreeRefusee(f"no lake at {lake}: give the lake's folder (--lake DIR)")
        return elaguer(lake, keep)

    from flows.rendu import afficher_elagage

    commande("prune", action, json_, afficher_elagage, quiet, log)


@app.command()
def backfill(
    years: Annotated[str, typer.Option(metavar="YEARS", help="e.g. 2021-2025 or 2021,2023")],
    extracts: Annotated[
        Path | None, typer.Option(metavar=DIR, help="Folder of extracts, one sub-folder per year")
    ] = None,
    lake: Annotated[Path, LAKE] = Path("data/lake"),
    out: Annotated[Path, OUT] = Path("data/runs"),
    overlay: Annotated[list[Path] | None, OVERLAY] = None,
    memory: Annotated[str, MEMORY] = MEMOIRE_PAR_DEFAUT,
    publish: Annotated[bool, typer.Option("--publish", help="Publish each year through the ledger")] = False,
    ledger: Annotated[Path, LEDGER] = Path("data/ledger/ledger.duckdb"),
    publications: Annotated[Path, PUBLICATIONS] = Path("data/publications"),
    echeance: Annotated[datetime | None, ECHEANCE] = None,
    json_: Annotated[
        bool, typer.Option("--json", help="Print one JSON object per year (one line each)")
    ] = False,
    quiet: Annotated[bool, QUIET] = False,
    prefect: Annotated[bool | None, PREFECT] = None,
    cluster: Annotated[str | None, CLUSTER] = None,
    log: Annotated[Path | None, LOG] = None,
) -> None:
    """Re-run past years, each with the parameters in force for it, and report per year what changed.

    Every year's inputs are checked before any year is computed. With --cluster, the ingests and the years
    run in parallel on Dask workers; publication stays serial, in ascending years, in this process."""
    annees = _annees(years)
    du = echeance.date() if echeance else None

    def action():
        p = _parametres(overlay)
        if cluster:
            from flows.grappe import executeur
            from flows.reparti import backfill_reparti

            # absolute paths: the workers do not share this process's working folder
            x = str(extracts.resolve()) if extracts else None
            arguments = (annees, str(lake.resolve()), str(out.resolve()), x, _absolus(overlay))
            flux = backfill_reparti.with_options(task_runner=executeur(cluster, memory))
            registre = str(ledger.resolve()) if publish else None
            r = _par_prefect(lambda: flux(*arguments, memory, registre, str(publications.resolve()), du))
        elif _utiliser_prefect(prefect):
            from flows.orchestration import backfill as backfill_flow

            r = _par_prefect(
                lambda: backfill_flow(
                    annees,
                    str(lake),
                    str(out),
                    str(extracts) if extracts else None,
                    _chemins(overlay),
                    memory,
                    str(ledger) if publish else None,
                    str(publications),
                    du,
                )
            )
        else:
            from flows.backfill import backfill as backfill_local
            from flows.journal import journal_du_produit
            from flows.reglages import Reglages

            reglages = Reglages(
                lake, out, memory, ledger if publish else None, publications, journal_du_produit()
            )
            r = backfill_local(annees, reglages, extracts, p, du)
        return [{"annee": a, **x} for a, x in sorted(r.items())]

    from flows.rendu import afficher_backfill

    if json_:  # JSON Lines: one object per year

        def afficher_json(lignes):
            for x in lignes:
                typer.echo(json.dumps(x, default=str, ensure_ascii=False))

        commande("backfill", action, False, afficher_json, True, log)
    else:
        commande("backfill", action, False, afficher_backfill, quiet, log)


@app.command()
def serve(
    extracts: Annotated[
        Path, typer.Option(metavar=DIR, help="Folder of extracts, one sub-folder per year")
    ] = Path("data/extracts"),
    lake: Annotated[Path, LAKE] = Path("data/lake"),
    out: Annotated[Path, OUT] = Path("data/runs"),
    ledger: Annotated[Path, LEDGER] = Path("data/ledger/ledger.duckdb"),
    publications: Annotated[Path, PUBLICATIONS] = Path("data/publications"),
    overlay: Annotated[list[Path] | None, OVERLAY] = None,
    cron: Annotated[
        str, typer.Option(metavar="CRON", help="Cron of the annual run, Europe/Paris")
    ] = "0 6 1 3 *",
    memory: Annotated[str, MEMORY] = MEMOIRE_PAR_DEFAUT,
    log: Annotated[Path | None, LOG] = None,
) -> None:
    """Serve the scheduled annual run (Prefect deployment 'annual-run'); needs a standing Prefect server."""

    def action():
        _parametres(overlay)  # a wrong overlay is refused now, not on 1 March
        if not os.environ.get("PREFECT_API_URL"):
            raise ErreurRun(
                "serve needs a standing Prefect server to create scheduled runs: start one (prefect server "
                "start) and set PREFECT_API_URL (e.g. http://127.0.0.1:4200/api), then serve again"
            )
        from prefect import serve as prefect_serve

        from flows.orchestration import deploiement

        parametres = {
            "extracts": str(extracts.resolve()),
            "lake": str(lake.resolve()),
            "out": str(out.resolve()),
            "ledger": str(ledger.resolve()),
            "publications": str(publications.resolve()),
            "memoire": memory,
            "overlay": [str(o.resolve()) for o in overlay] if overlay else None,
        }
        prefect_serve(deploiement(parametres, cron))

    commande("serve", action, False, lambda r: None, False, log)


@app.command()
def report(
    run: Annotated[Path, typer.Option(metavar=DIR, help="Run folder, or publication folder")],
    publications: Annotated[Path | None, PUBLICATIONS] = None,
    json_: Annotated[bool, JSON] = False,
    log: Annotated[Path | None, LOG] = None,
) -> None:
    """Build again the sign-off report (rapport.html) of a run or of a publication."""

    def action():
        from flows.rapport import rapport

        if not (run / "manifest.json").is_file():
            raise EntreeRefusee(f"{run} is not a run or publication folder (no manifest.json)")
        return {"rapport": str(rapport(run, publications))}

    commande("report", action, json_, lambda x: typer.echo(x["rapport"]), True, log)


@app.command()
def simulate(
    year: Annotated[int, typer.Option(metavar="N", help="Reference year N (payments of N+1)")],
    reforme: Annotated[
        list[Path],
        typer.Option(
            metavar=DIR, help="Parameter overlay folder describing a reform; repeat it to compare several"
        ),
    ],
    lake: Annotated[Path, LAKE] = Path("data/lake"),
    overlay: Annotated[list[Path] | None, OVERLAY] = None,
    memory: Annotated[str, MEMORY] = MEMOIRE_PAR_DEFAUT,
    cluster: Annotated[str | None, CLUSTER] = None,
    json_: Annotated[bool, JSON] = False,
    quiet: Annotated[bool, QUIET] = False,
    log: Annotated[Path | None, LOG] = None,
) -> None:
    """Cost a reform (or several, compared in one table): the same rules under the baseline and each reform
    for year N; no payment file written. With --cluster, the scenarios run in parallel on Dask workers."""

    def action():
        from flows.journal import journal_du_produit
        from flows.parametres_io import charger_parametres
        from flows.reglages import Reglages
        from flows.simulate import simuler
        from transforms.parametres import ParametreError

        _parametres(overlay)
        for r in reforme:
            try:
                charger_parametres(overlay=[*(overlay or []), r])
            except ParametreError as e:
                raise EntreeRefusee(f"the reform {r}: {e}") from None
        if cluster:
            from flows.grappe import executeur
            from flows.reparti import simulations_reparties

            flux = simulations_reparties.with_options(task_runner=executeur(cluster, memory))
            a = (year, str(lake.resolve()), [str(r.resolve()) for r in reforme], _absolus(overlay), memory)
            scenarios = _par_prefect(lambda: flux(*a))
        else:
            reglages = Reglages(lake, memoire=memory, journal=journal_du_produit())
            scenarios = [simuler(year, reglages, r, overlay=_chemins(overlay)) for r in reforme]
        if len(scenarios) == 1:
            return scenarios[0]
        return {"annee_reference": year, "scenarios": scenarios}

    from flows.rendu import afficher_simulation

    commande("simulate", action, json_, afficher_simulation, quiet, log)


@app.command()
def explain(
    ps: Annotated[
        str, typer.Option(metavar="NUMBER", help="Main cabinet number (STA_PFS_NUM), or a CPTS id")
    ],
    year: Annotated[int, typer.Option(metavar="N", help="Reference year N")],
    out: Annotated[Path, OUT] = Path("data/runs"),
    json_: Annotated[bool, JSON] = False,
    log: Annotated[Path | None, LOG] = None,
) -> None:
    """Why each forfait was or was not paid to one doctor for year N (from the latest run's justification)."""

    def action():
        from flows.dossier_run import dernier_run
        from flows.rendu import explication

        return explication(ps, year, dernier_run(out, year))

    def afficher(x):
        from flows.rendu import afficher_explication

        afficher_explication(x)

    if not commande("explain", action, json_, afficher, True, log)["dispositifs"]:
        raise typer.Exit(Sortie.RIEN)  # the run evaluated nobody of that number


def main() -> None:
    """The ``forfaits`` entry point: a wrong command line is one message too (and an error object with
    ``--json``), with the usage exit code."""
    from typer.exceptions import TyperException

    os.umask(0o077)  # every file and folder it writes is its owner's only (patient data: lake, quarantine)
    atexit.register(_taire_la_sortie)  # registered first, so it runs last
    try:
        code = app(standalone_mode=False)
    except typer.Exit as e:
        sys.exit(e.exit_code)
    except typer.Abort:
        typer.echo("forfaits: interrupted", err=True)
        sys.exit(130)
    except TyperException as e:  # a wrong command line (click's usage errors)
        if type(e).__name__ == "NoArgsIsHelpError":  # `forfaits` alone: its help
            typer.echo(e.format_message(), err=True)
            sys.exit(Sortie.USAGE)
        contexte = getattr(e, "ctx", None)
        nom = contexte.command_path if contexte is not None else "forfaits"
        message = f"{e.format_message()} (see {nom} --help)"
        typer.echo(f"{nom}: {message}", err=True)
        if "--json" in sys.argv:
            erreur = {"classe": "usage", "code_sortie": int(Sortie.USAGE), "message": message}
            typer.echo(json.dumps({"erreur": erreur}, ensure_ascii=False))
        sys.exit(Sortie.USAGE if e.exit_code == Sortie.USAGE else e.exit_code)
    sys.exit(code or 0)

"""Command line: ``forfaits generate | ingest | run | publish | backfill | serve | explain | simulate``."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    add_completion=False, no_args_is_help=True, help="Forfaits: annual non fee-for-service payments."
)


@app.callback()
def _racine() -> None:
    """Forfaits: annual non fee-for-service payments to liberal doctors, to a validated payment file."""


def _annees(texte: str) -> list[int]:
    annees: list[int] = []
    for part in texte.split(","):
        debut, _, fin = part.partition("-")
        annees += list(range(int(debut), int(fin or debut) + 1))
    return annees


@app.command()
def generate(
    out: Annotated[Path, typer.Option(help="Folder that receives one sub-folder per year")],
    years: Annotated[str, typer.Option(help="Years, e.g. 2019-2026 or 2020,2021")] = "2019-2026",
    scale: Annotated[
        float, typer.Option(help="1 = national (≈ 113 000 doctors, ≈ 450 M claim lines a year)")
    ] = 0.01,
    seed: Annotated[int, typer.Option(help="Same seed, same files")] = 42,
    format: Annotated[
        str, typer.Option(help="csv (SNDS delivery: ';', DD/MM/YYYY, gzip) or parquet")
    ] = "csv",
    memory: Annotated[str, typer.Option(help="DuckDB memory limit")] = "8GB",
) -> None:
    """Write synthetic yearly extracts (every table of inputs.md) with planted boundary cases."""
    from flows.generation import generer
    from flows.parametres_io import charger_parametres

    generer(
        out,
        _annees(years),
        scale,
        seed,
        format,
        charger_parametres(),
        memoire=memory,
        progression=lambda m: typer.echo(m, err=True),
    )


def main() -> None:  # pragma: no cover
    sys.exit(app())


OVERLAY = typer.Option(
    "--overlay",
    help="Parameter overlay folder (user-supplied values, a reform); repeat it to stack several, in order",
)


@app.command()
def ingest(
    extract: Annotated[Path, typer.Option(help="Folder of one year's extract (one file per table)")],
    year: Annotated[int, typer.Option(help="Reference year N of the extract")],
    lake: Annotated[Path, typer.Option(envvar="FORFAITS_LAKE", help="Lake folder")] = Path("data/lake"),
    overlay: Annotated[list[Path] | None, OVERLAY] = None,
    json_: Annotated[bool, typer.Option("--json", help="Print the report as JSON")] = False,
) -> None:
    """Validate one year's extract and write it to the lake (atomically; defective rows to quarantine)."""

    from flows.ingest import ErreurIngest, ingest_flow

    try:
        rapport = ingest_flow(str(extract), year, str(lake), _overlays(overlay))
    except ErreurIngest as e:
        typer.echo(f"ingest of {year} stopped: {e}", err=True)
        raise typer.Exit(2) from None
    if json_:
        typer.echo(json.dumps(rapport, default=str))
    else:
        from flows.rendu import afficher_rapport

        afficher_rapport(rapport)


LEDGER = typer.Option(envvar="FORFAITS_LEDGER", help="Ledger file (append-only record of published lines)")
PUBLICATIONS = typer.Option(envvar="FORFAITS_PUBLICATIONS", help="Folder of the publications")
ECHEANCE = typer.Option(
    help="Due date of the publication's REGULARISATION lines (default: 1st of next month)",
    formats=["%Y-%m-%d"],
)


@app.command()
def run(
    year: Annotated[int, typer.Option(help="Reference year N (payments fall in N+1)")],
    lake: Annotated[Path, typer.Option(envvar="FORFAITS_LAKE", help="Lake folder")] = Path("data/lake"),
    out: Annotated[Path, typer.Option(envvar="FORFAITS_OUT", help="Folder of the runs")] = Path("data/runs"),
    extract: Annotated[Path | None, typer.Option(help="Ingest this extract of year N first")] = None,
    overlay: Annotated[list[Path] | None, OVERLAY] = None,
    memory: Annotated[str, typer.Option(help="DuckDB memory limit")] = "8GB",
    publish: Annotated[bool, typer.Option("--publish", help="Publish the run through the ledger")] = False,
    ledger: Annotated[Path, LEDGER] = Path("data/ledger/ledger.duckdb"),
    publications: Annotated[Path, PUBLICATIONS] = Path("data/publications"),
    echeance: Annotated[datetime | None, ECHEANCE] = None,
    json_: Annotated[
        bool, typer.Option("--json", help="Print one JSON object: run folder and totals")
    ] = False,
) -> None:
    """Compute year N's payment file (yearly forfaits) into a new, atomically published run folder."""
    from flows.annual_run import annual_run
    from flows.rendu import afficher_publication, afficher_totaux

    def afficher(r: dict) -> None:
        afficher_totaux(r)
        if "publication" in r:
            afficher_publication(r["publication"])

    arguments = (year, str(lake), str(out), _ou_rien(extract), _overlays(overlay))
    _lancer(
        f"run of {year}",
        annual_run,
        arguments + _publication(memory, publish, ledger, publications, echeance),
        json_,
        afficher,
    )


def _publication(memory: str, publish: bool, ledger: Path, publications: Path, echeance) -> tuple:
    """The trailing arguments shared by the run and backfill flows."""
    return (
        memory,
        str(ledger) if publish else None,
        str(publications),
        echeance.date() if echeance else None,
    )


def _lancer(quoi: str, flux, arguments: tuple, json_: bool, afficher) -> None:
    """Run a flow; a known error prints one line and exits 2; --json prints the result as one object."""

    from flows.erreurs import ErreurRun
    from flows.ingest import ErreurIngest
    from flows.ledger import ErreurPublication

    try:
        r = flux(*arguments)
    except (ErreurRun, ErreurIngest, ErreurPublication) as e:
        typer.echo(f"{quoi} stopped: {e}", err=True)
        raise typer.Exit(2) from None
    if json_:
        typer.echo(json.dumps(r, default=str, ensure_ascii=False))
        return
    afficher(r)


@app.command()
def publish(
    run: Annotated[Path, typer.Option(help="Run folder (as printed by forfaits run)")],
    ledger: Annotated[Path, LEDGER] = Path("data/ledger/ledger.duckdb"),
    publications: Annotated[Path, PUBLICATIONS] = Path("data/publications"),
    echeance: Annotated[datetime | None, ECHEANCE] = None,
    json_: Annotated[bool, typer.Option("--json", help="Print the publication's manifest as JSON")] = False,
) -> None:
    """Publish a run through the ledger: new keys, REGULARISATION deltas and cancellations; nothing twice."""
    from flows.ledger import publier
    from flows.rendu import afficher_publication

    arguments = (run, ledger, publications, echeance.date() if echeance else None)
    _lancer("publication", publier, arguments, json_, afficher_publication)


@app.command()
def backfill(
    years: Annotated[str, typer.Option(help="Years, e.g. 2021-2025 or 2021,2023")],
    extracts: Annotated[
        Path | None, typer.Option(help="Folder of extracts, one sub-folder per year (else: the lake's years)")
    ] = None,
    lake: Annotated[Path, typer.Option(envvar="FORFAITS_LAKE", help="Lake folder")] = Path("data/lake"),
    out: Annotated[Path, typer.Option(envvar="FORFAITS_OUT", help="Folder of the runs")] = Path("data/runs"),
    overlay: Annotated[list[Path] | None, OVERLAY] = None,
    memory: Annotated[str, typer.Option(help="DuckDB memory limit")] = "8GB",
    publish: Annotated[bool, typer.Option("--publish", help="Publish each year through the ledger")] = False,
    ledger: Annotated[Path, LEDGER] = Path("data/ledger/ledger.duckdb"),
    publications: Annotated[Path, PUBLICATIONS] = Path("data/publications"),
    echeance: Annotated[datetime | None, ECHEANCE] = None,
    json_: Annotated[bool, typer.Option("--json", help="Print one JSON object per year")] = False,
) -> None:
    """Re-run past years, each with the parameters in force for it, and report per year what changed."""
    from flows.backfill import backfill as backfill_flow
    from flows.rendu import afficher_backfill

    arguments = (_annees(years), str(lake), str(out), _ou_rien(extracts), _overlays(overlay))
    _lancer(
        "backfill",
        backfill_flow,
        arguments + _publication(memory, publish, ledger, publications, echeance),
        json_,
        afficher_backfill,
    )


@app.command()
def serve(
    extracts: Annotated[Path, typer.Option(help="Folder of extracts, one sub-folder per year")] = Path(
        "data/extracts"
    ),
    lake: Annotated[Path, typer.Option(envvar="FORFAITS_LAKE", help="Lake folder")] = Path("data/lake"),
    out: Annotated[Path, typer.Option(envvar="FORFAITS_OUT", help="Folder of the runs")] = Path("data/runs"),
    ledger: Annotated[Path, LEDGER] = Path("data/ledger/ledger.duckdb"),
    publications: Annotated[Path, PUBLICATIONS] = Path("data/publications"),
    cron: Annotated[str, typer.Option(help="Cron of the annual run (Europe/Paris)")] = "0 6 1 3 *",
    memory: Annotated[str, typer.Option(help="DuckDB memory limit")] = "8GB",
) -> None:
    """Serve the scheduled annual run (Prefect deployment 'annual-run'); needs a standing Prefect server."""
    from prefect import serve as prefect_serve

    from flows.serve import deploiement

    parametres = {
        "extracts": str(extracts.resolve()),
        "lake": str(lake.resolve()),
        "out": str(out.resolve()),
        "ledger": str(ledger.resolve()),
        "publications": str(publications.resolve()),
        "memoire": memory,
    }
    prefect_serve(deploiement(parametres, cron))


def _ou_rien(p: Path | None) -> str | None:
    return str(p) if p else None


def _overlays(o: list[Path] | None) -> list[str] | None:
    return [str(x) for x in o] if o else None


@app.command()
def simulate(
    year: Annotated[int, typer.Option(help="Reference year N (payments of N+1)")],
    reforme: Annotated[Path, typer.Option(help="Parameter overlay folder describing the reform")],
    lake: Annotated[Path, typer.Option(envvar="FORFAITS_LAKE", help="Lake folder")] = Path("data/lake"),
    overlay: Annotated[list[Path] | None, OVERLAY] = None,
    memory: Annotated[str, typer.Option(help="DuckDB memory limit")] = "8GB",
    json_: Annotated[bool, typer.Option("--json", help="Print one JSON object")] = False,
) -> None:
    """Cost a reform: the same rules under the baseline and the reform for year N; no payment file written."""

    from flows.erreurs import ErreurRun
    from flows.reglages import Reglages, muet
    from flows.rendu import afficher_simulation
    from flows.simulate import simuler

    journal = muet if json_ else lambda m: typer.echo(m, err=True)
    try:
        r = simuler(
            year, Reglages(lake, memoire=memory, journal=journal), reforme, overlay=_overlays(overlay)
        )
    except ErreurRun as e:
        typer.echo(str(e), err=True)
        raise typer.Exit(2) from None
    if json_:
        typer.echo(json.dumps(r, ensure_ascii=False))
        return
    afficher_simulation(r)


@app.command()
def explain(
    ps: Annotated[str, typer.Option(help="Main cabinet number (STA_PFS_NUM), or a CPTS id")],
    year: Annotated[int, typer.Option(help="Reference year N")],
    out: Annotated[Path, typer.Option(envvar="FORFAITS_OUT", help="Folder of the runs")] = Path("data/runs"),
) -> None:
    """Why each forfait was or was not paid to one doctor for year N (from the latest run's justification)."""
    from flows.dossier_run import dernier_run
    from flows.erreurs import ErreurRun
    from flows.rendu import expliquer

    try:
        dossier = dernier_run(out, year)
    except ErreurRun as e:
        typer.echo(str(e), err=True)
        raise typer.Exit(2) from None
    if not expliquer(ps, year, dossier):
        raise typer.Exit(1)

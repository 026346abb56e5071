"""Command line: ``forfaits generate | ingest`` (and later ``run``, ``explain``, ``publish`` …)."""

from __future__ import annotations

import sys
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


@app.command()
def ingest(
    extract: Annotated[Path, typer.Option(help="Folder of one year's extract (one file per table)")],
    year: Annotated[int, typer.Option(help="Reference year N of the extract")],
    lake: Annotated[Path, typer.Option(envvar="FORFAITS_LAKE", help="Lake folder")] = Path("data/lake"),
    overlay: Annotated[Path | None, typer.Option(help="Parameter overlay folder")] = None,
    json_: Annotated[bool, typer.Option("--json", help="Print the report as JSON")] = False,
) -> None:
    """Validate one year's extract and write it to the lake (atomically; defective rows to quarantine)."""
    import json

    from flows.ingest import ErreurIngest, ingest_flow

    try:
        rapport = ingest_flow(str(extract), year, str(lake), str(overlay) if overlay else None)
    except ErreurIngest as e:
        typer.echo(f"ingest of {year} stopped: {e}", err=True)
        raise typer.Exit(2) from None
    if json_:
        typer.echo(json.dumps(rapport, default=str))
    else:
        afficher_rapport(rapport)


def afficher_rapport(rapport: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    t = Table(title=f"Lake, year {rapport['annee']}")
    for c in ("table", "rows read", "rows kept", "quarantined", "identical duplicates"):
        t.add_column(c, justify="right" if c != "table" else "left")
    for nom, r in rapport["tables"].items():
        if r.get("absente"):
            t.add_row(nom, "absent", "", "", "")
        else:
            t.add_row(
                nom,
                f"{r['lignes_lues']:,}",
                f"{r['lignes_retenues']:,}",
                f"{r['lignes_quarantaine']:,}",
                f"{r['doublons_identiques']:,}",
            )
    Console().print(t)

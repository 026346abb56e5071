"""`make demo`: generate a small multi-year extract, ingest each year with the Prefect flow, summarise."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from rich.console import Console

from flows.cli import afficher_rapport
from flows.generation import generer
from flows.ingest import ingest_flow
from flows.parametres_io import charger_parametres


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--dir", type=Path, default=Path("data/demo"))
    ap.add_argument("--years", default="2024,2025")
    ap.add_argument("--scale", type=float, default=0.002)
    args = ap.parse_args()
    console = Console()
    annees = [int(a) for a in args.years.split(",")]
    extraits, lake = args.dir / "extracts", args.dir / "lake"
    t = time.perf_counter()
    console.print(f"[bold]1. Generating synthetic extracts[/] {annees} at scale {args.scale} → {extraits}")
    generer(
        extraits,
        annees,
        args.scale,
        42,
        "csv",
        charger_parametres(),
        memoire="2GB",
        progression=lambda m: console.print(f"   {m}", highlight=False),
    )
    for annee in annees:
        console.print(f"[bold]2. Ingesting {annee}[/] (Prefect flow 'ingest') → {lake}")
        rapport = ingest_flow(str(extraits / str(annee)), annee, str(lake))
        afficher_rapport(rapport)
    console.print(f"Done in {time.perf_counter() - t:.0f} s. Lake: {lake.resolve()}")


if __name__ == "__main__":
    main()

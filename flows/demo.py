"""`make demo`: generate a small multi-year extract, then for each year run the annual run (ingest → DuckDB
models → rules → validated payment file; through Prefect when ``PREFECT_API_URL`` names a standing server,
in-process otherwise, as the CLI does) and print where the payment file is and its
totals per dispositif, and publish it through the ledger; then publish the last run again, which emits an
empty publication (nothing is ever paid twice). 2021 comes first: its distribution is the assistant aid's
reference (rules.md §1); 2020 then carries the Covid activity-loss aid (its regularisation, with 2019's fees
ingested beforehand); 2024 gives the forfait médecin traitant of 2026 its "not seen in N−1" patients. Values
no public text gives (DIPA fixed-charge rates, CPTS mission amounts) come from the ILLUSTRATIVE overlay
data/overlays/illustratif/, labelled as such in every manifest. Last, the seed 004 reform of the forfait
médecin traitant is simulated on 2024 against its envelope."""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import polars as pl
from rich.console import Console

from flows.annual_run import executer
from flows.generation import generer
from flows.ingest import ingerer
from flows.journal import configurer, journal_du_produit
from flows.ledger import publier
from flows.parametres_io import OVERLAY_ILLUSTRATIF, charger_parametres
from flows.reglages import Reglages
from flows.rendu import (
    afficher_dispositifs_hors_forfaits,
    afficher_publication,
    afficher_rapport,
    afficher_simulation,
    afficher_totaux,
)
from flows.simulate import simuler


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--dir", type=Path, default=Path("data/demo"))
    ap.add_argument("--years", default="2021,2020,2024,2025,2026")
    ap.add_argument("--scale", type=float, default=0.002)
    args = ap.parse_args()
    os.umask(0o077)  # as forfaits: what it writes is its owner's only
    console = Console()
    configurer()
    journal = journal_du_produit()
    prefect = bool(os.environ.get("PREFECT_API_URL"))
    annees = [int(a) for a in args.years.split(",")]
    prealables = [a - 1 for a in annees if a == 2020 and a - 1 not in annees]  # DIPA reads 2019's fees
    extraits, lake, runs = args.dir / "extracts", args.dir / "lake", args.dir / "runs"
    ledger, publications = args.dir / "ledger" / "ledger.duckdb", args.dir / "publications"
    t = time.perf_counter()
    console.print(f"[bold]1. Generating synthetic extracts[/] {annees} at scale {args.scale} → {extraits}")
    generer(
        extraits,
        sorted(annees + prealables),
        args.scale,
        42,
        "csv",
        charger_parametres(),
        memoire="2GB",
        progression=journal,
    )
    p = charger_parametres(overlay=OVERLAY_ILLUSTRATIF)
    for annee in prealables:
        console.print(f"[bold]2. Ingesting {annee}[/] (its fees of 16 March–30 May are the DIPA's reference)")
        afficher_rapport(ingerer(extraits / str(annee), annee, lake, p, journal=journal))
    for annee in annees:
        console.print(f"[bold]2. Annual run of {annee}[/] (ingest, models, rules, publish)")
        if prefect:  # recorded by the standing Prefect server
            from flows.orchestration import annual_run

            arguments = (str(lake), str(runs), str(extraits / str(annee)), str(OVERLAY_ILLUSTRATIF), "2GB")
            r = annual_run(annee, *arguments, ledger=str(ledger), publications=str(publications))
        else:
            reglages = Reglages(lake, runs, "2GB", ledger, publications, journal)
            r = executer(annee, reglages, extraits / str(annee), p)
        afficher_rapport(json.loads((lake / f"annee={annee}" / "ingest.json").read_text(encoding="utf-8")))
        afficher_totaux(r)
        afficher_dispositifs_hors_forfaits(console, Path(r["dossier"]))
        afficher_publication(r["publication"])
    console.print(f"[bold]3. Publishing the run of {annees[-1]} again[/] (the ledger already holds it)")
    afficher_publication(publier(Path(r["dossier"]), ledger, publications, journal=journal))
    console.print(
        f"Done in {time.perf_counter() - t:.0f} s. Lake: {lake.resolve()}; runs: {runs.resolve()}; "
        f"publications: {publications.resolve()}; ledger: {ledger.resolve()}"
    )
    console.print(
        f"Explain a doctor: .venv/bin/forfaits explain --ps 75190013 --year {annees[-1]} --out {runs}"
    )
    reforme = Path(__file__).resolve().parents[1] / "data" / "reforms" / "seed004_revalorisation_fmt"
    if 2024 in annees:
        console.print(f"[bold]4. Seed 004 reform simulated on 2024[/] ({reforme.name}; no payment file)")
        reglages = Reglages(lake, runs, memoire="2GB", journal=journal)
        afficher_simulation(simuler(2024, reglages, reforme, overlay=OVERLAY_ILLUSTRATIF))
    recouvrement = (
        pl.read_parquet(Path(r["dossier"]) / "paiements.parquet")
        .filter((pl.col("nature_versement") == "SOLDE") & (pl.col("montant_centimes") < 0))
        .head(1)
    )
    if recouvrement.height:
        console.print(
            "Explain an assistant contract whose solde is a recovery: .venv/bin/forfaits explain "
            f"--ps {recouvrement['beneficiaire_id'][0]} --year {annees[-1]} --out {runs}"
        )


if __name__ == "__main__":
    main()

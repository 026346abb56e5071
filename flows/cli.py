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
    import json

    from flows.ingest import ErreurIngest, ingest_flow

    try:
        rapport = ingest_flow(str(extract), year, str(lake), _overlays(overlay))
    except ErreurIngest as e:
        typer.echo(f"ingest of {year} stopped: {e}", err=True)
        raise typer.Exit(2) from None
    if json_:
        typer.echo(json.dumps(rapport, default=str))
    else:
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
    import json

    from flows.annual_run import ErreurRun
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

    arguments = (run, ledger, publications, echeance.date() if echeance else None)
    _lancer("publication", publier, arguments, json_, afficher_publication)


def afficher_publication(r: dict) -> None:
    from rich.console import Console

    c = Console()
    c.print(table_totaux(f"Publication {r['publication_id']} (year {r.get('annee_reference', '')})", r))
    n, g = r["nouvelles_cles"], r["regularisations"]
    vide = " [bold]empty: everything was already published[/bold]" if not r["total"]["nb_lignes"] else ""
    c.print(
        f"new keys: {n['nb_lignes']:,} lines, {n['somme_centimes'] / 100:,.2f} €; regularisations: "
        f"{g['nb_lignes']:,} lines, {g['somme_centimes'] / 100:,.2f} € ({g['cles_modifiees']:,} keys changed)"
        f"{vide}"
    )
    if r.get("reprise"):
        c.print("this publication had been appended to the ledger by an interrupted run: finished now")
    c.print(f"publication: {r['dossier']}")


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

    arguments = (_annees(years), str(lake), str(out), _ou_rien(extracts), _overlays(overlay))
    _lancer(
        "backfill",
        backfill_flow,
        arguments + _publication(memory, publish, ledger, publications, echeance),
        json_,
        afficher_backfill,
    )


def afficher_backfill(r: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    t = Table(title="Backfill: what changed per year")
    for c in ("year", "run", "lines", "amount (€)", "vs previous run", "published", "regularisations (€)"):
        t.add_column(c, justify="left" if c in ("run", "vs previous run", "published") else "right")
    for annee, x in sorted(r.items()):
        ch, pub = x["changements"], x.get("publication")
        t.add_row(
            str(annee),
            x["run_id"],
            f"{x['total']['nb_lignes']:,}",
            f"{x['total']['somme_centimes'] / 100:,.2f}",
            "first run"
            if ch["run_precedent"] is None
            else f"{ch['cles_nouvelles']:,} new, {ch['cles_modifiees_ou_disparues']:,} changed keys, "
            f"{ch['beneficiaires_touches']:,} beneficiaries, {ch['ecart_centimes'] / 100:+,.2f} €",
            pub["publication_id"] if pub else "not published",
            f"{pub['regularisations']['somme_centimes'] / 100:+,.2f}" if pub else "",
        )
    Console(width=max(Console().width, 150)).print(t)


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


def table_totaux(titre: str, r: dict):
    """Control totals (lines, €) per dispositif and nature, and the total, of a run or a publication."""
    from rich.table import Table

    t = Table(title=titre)
    for c in ("dispositif", "nature", "lines", "amount (€)"):
        t.add_column(c, justify="left" if c in ("dispositif", "nature") else "right")
    for x in r["totaux_de_controle"]:
        t.add_row(
            x["dispositif"], x["nature_versement"], f"{x['nb_lignes']:,}", f"{x['somme_centimes'] / 100:,.2f}"
        )
    t.add_row("total", "", f"{r['total']['nb_lignes']:,}", f"{r['total']['somme_centimes'] / 100:,.2f}")
    return t


def afficher_totaux(r: dict) -> None:
    from rich.console import Console

    c = Console()
    c.print(table_totaux(f"Payment file {r['run_id']}", r))
    c.print(f"payment file: {Path(r['dossier']) / 'paiements.parquet'} (and paiements.csv, manifest.json)")
    manifest = json.loads((Path(r["dossier"]) / "manifest.json").read_text(encoding="utf-8"))
    for fichier, texte in manifest["parametres"].get("avertissements", {}).items():
        c.print(f"[yellow]warning, parameters {fichier}:[/] {texte}", highlight=False)


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
    import json

    from flows.annual_run import ErreurRun
    from flows.simulate import simuler

    try:
        r = simuler(
            year,
            lake,
            reforme,
            memory,
            journal=None if json_ else lambda m: typer.echo(m, err=True),
            overlay=_overlays(overlay),
        )
    except ErreurRun as e:
        typer.echo(str(e), err=True)
        raise typer.Exit(2) from None
    if json_:
        typer.echo(json.dumps(r, ensure_ascii=False))
        return
    afficher_simulation(r)


def afficher_simulation(r: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    def e(c: int) -> str:
        return f"{c / 100:,.0f}"

    t = Table(
        title=f"Reform {Path(r['reforme']).name}, year {r['annee_reference']} "
        f"(paid {r['annee_reference'] + 1}), €"
    )
    for c in (
        "dispositif",
        "cost base",
        "cost reform",
        "difference",
        "beneficiaries",
        "mean base",
        "mean reform",
        "D1–D9 reform",
        "winners",
        "losers",
    ):
        t.add_column(c, justify="left" if c == "dispositif" else "right")
    for x in r["dispositifs"]:
        b, f = x["base"], x["reforme"]
        t.add_row(
            x["dispositif"],
            e(b["cout_centimes"]),
            e(f["cout_centimes"]),
            e(x["ecart_centimes"]),
            f"{b['beneficiaires']:,} → {f['beneficiaires']:,}",
            e(b["moyenne_centimes"]),
            e(f["moyenne_centimes"]),
            f"{e(f['deciles_centimes'][0])}–{e(f['deciles_centimes'][-1])}",
            f"{x['gagnants']:,}",
            f"{x['perdants']:,}",
        )
    c = Console(width=max(Console().width, 150))  # ten columns: wider than a pipe's default 80
    c.print(t)
    for v in r["enveloppes"]:
        verdict = "[green]fits[/green]" if v["tient_dans_enveloppe"] else "[red]does not fit[/red]"
        c.print(
            f"{v['dispositif']}: extra cost {e(v['ecart_centimes'])} € against an envelope of "
            f"{e(v['enveloppe_centimes'])} €: {verdict}"
            + (f", misses by {e(v['depassement_centimes'])} €" if v["depassement_centimes"] else "")
        )
        verdict = "[green]fits[/green]" if v["tient_par_medecin"] else "[red]does not fit[/red]"
        c.print(
            f"  per beneficiary: {e(v['ecart_par_beneficiaire_centimes'])} € against "
            f"{e(v['enveloppe_par_medecin_centimes'])} € per doctor: {verdict}"
            + (
                f", misses by {e(v['depassement_par_medecin_centimes'])} €"
                if v["depassement_par_medecin_centimes"]
                else ""
            )
        )


@app.command()
def explain(
    ps: Annotated[str, typer.Option(help="Main cabinet number (STA_PFS_NUM), or a CPTS id")],
    year: Annotated[int, typer.Option(help="Reference year N")],
    out: Annotated[Path, typer.Option(envvar="FORFAITS_OUT", help="Folder of the runs")] = Path("data/runs"),
) -> None:
    """Why each forfait was or was not paid to one doctor for year N (from the latest run's justification)."""
    import json

    import polars as pl
    from rich.console import Console

    from flows.annual_run import ErreurRun, dernier_run

    try:
        dossier = dernier_run(out, year)
    except ErreurRun as e:
        typer.echo(str(e), err=True)
        raise typer.Exit(2) from None
    j = pl.read_parquet(dossier / "justificatifs.parquet").filter(pl.col("beneficiaire_id") == ps)
    c = Console()
    if j.is_empty():
        c.print(
            f"{ps} is not a practitioner of DA_PRA_R at 31/12/{year} (run {dossier.name}): nothing evaluated."
        )
        raise typer.Exit(1)
    c.print(f"[bold]{ps}[/bold], year {year}, run {dossier.name}")
    for x in j.sort("dispositif", "reference_contrat", nulls_last=False).iter_rows(named=True):
        if not x["en_vigueur"]:
            c.print(f"  {x['dispositif']}: not in force for {year}")
            continue
        detail = json.loads(x["detail"])
        if x["reference_contrat"] is not None:
            _expliquer_contrat(c, x, detail, year)
            continue
        if x["dispositif"] == "AIDE_ASSISTANT_MEDICAL":  # the eligibility list; payments go by contract
            verdict = (
                f"[green]eligible[/green] at 31/12/{year}"
                if x["est_eligible"]
                else "[red]not eligible[/red]: condition(s) not met: " + ", ".join(x["criteres_non_remplis"])
            )
        elif x["est_eligible"]:
            verdict = f"[green]paid {x['montant_centimes'] / 100:,.2f} €[/green]"
        else:
            verdict = "[red]not paid[/red]: condition(s) not met: " + ", ".join(x["criteres_non_remplis"])
        c.print(f"  {x['dispositif']}: {verdict}")
        mesures = {k: v for k, v in detail.items() if not k.startswith("critere_") and k not in _SORTIES}
        c.print("    " + "; ".join(f"{k} = {v}" for k, v in mesures.items()))
        c.print(
            "    "
            + "; ".join(
                f"{k.removeprefix('critere_')}: {'yes' if v else 'no'}"
                for k, v in detail.items()
                if k.startswith("critere_")
            )
        )


_SORTIES = {"en_vigueur", "est_eligible", "montant_centimes"}


def _expliquer_contrat(c, x: dict, d: dict, annee: int) -> None:
    """One assistant contract: band, indicator, achievement, and how each installment of N+1 is computed."""
    c.print(
        f"  {x['dispositif']} contract {x['reference_contrat']} (cabinet {d['cabinet']}, signed "
        f"{d['date_signature']}, {d['option']}{', terminated ' + d['date_fin'] if d['date_fin'] else ''})"
    )
    if not x["est_eligible"]:
        c.print("    [red]not paid[/red]: " + ", ".join(x["criteres_non_remplis"]))
        return
    c.print(
        f"    band {d['bande']} (PAT_INI {d['valeur_initiale']} against P90 {d['p90']} / P95 {d['p95']}); "
        f"objective {d['indicateur']} {d['valeur_initiale']} → {d['objectif']}, "
        f"measured {d['valeur_mesuree']} in {annee}: achievement {d['taux_atteinte']}"
    )
    if d["controle_signature"]:
        c.print("    [yellow]control at signature[/yellow]: not met: " + ", ".join(d["controle_signature"]))
    if d["annee_1_due_en_n_hors_fichier"]:
        c.print(f"    contract year 1 fell due in {annee}: not in this payment file (paid in {annee})")
    echeances = d["echeances_n_plus_1"] or []
    if not echeances:
        c.print(f"    nothing due in {annee + 1}")
    for e in echeances:
        montant = f"{e['montant_centimes'] / 100:,.2f} €"
        base = (
            f"year {e['annee_contrat']} amount {e['montant_annuel'] / 100:,.2f} € (table of {e['table_du']})"
        )
        if e["nature_versement"] == "SOLDE":
            calcul = (
                f"{base} × achievement = {e['montant_proratise'] / 100:,.2f} € − acompte already paid "
                f"{e['acompte_deja_verse'] / 100:,.2f} €"
            )
            if e["montant_centimes"] < 0:
                montant += " (recovery)"
            elif e["montant_centimes"] == 0:
                montant += " (no line)"
        elif e["nature_versement"] == "ACOMPTE":
            calcul = f"acompte share (parameter part_acompte) of {base}"
        else:
            calcul = base
        c.print(f"    {e['echeance']} {e['nature_versement']} {montant}: {calcul}")


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

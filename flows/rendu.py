"""What the commands print: the tables and explanations of runs, publications, backfills, simulations and
ingests (rich), shared by the CLI and the demo."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
from rich.console import Console
from rich.table import Table

from transforms.registre import REGLES

_SORTIES = {"en_vigueur", "est_eligible", "montant_centimes"}
# a dispositif whose registry entry emits no line is an eligibility list (its payments go by contract)
LISTES_ELIGIBILITE = {r.dispositif for r in REGLES if r.lignes is None}


def table_totaux(titre: str, r: dict):
    """Control totals (lines, €) per dispositif and nature, and the total, of a run or a publication."""
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
    c = Console()
    c.print(table_totaux(f"Payment file {r['run_id']}", r))
    c.print(f"payment file: {Path(r['dossier']) / 'paiements.parquet'} (and paiements.csv, manifest.json)")
    c.print(f"sign-off report: {Path(r['dossier']) / 'rapport.html'}")
    manifest = json.loads((Path(r["dossier"]) / "manifest.json").read_text(encoding="utf-8"))
    parametres = manifest["parametres"]
    for fichier, texte in parametres.get("avertissements_utilises", parametres["avertissements"]).items():
        c.print(f"[yellow]warning, parameters {fichier}:[/] {texte}", highlight=False)


def afficher_run(r: dict) -> None:
    """A run's totals, the warnings of the values it used, and its publication if any."""
    afficher_totaux(r)
    if "publication" in r:
        afficher_publication(r["publication"])


def afficher_rejeu(r: dict) -> None:
    rejouees = ", ".join(r["rejouees"]) or "none (the ledger already held every folder)"
    Console().print(
        f"ledger {r['ledger']}: {r['publications']} publication(s); replayed from their folders: {rejouees}"
    )


def afficher_elagage(r: dict) -> None:
    parts = [f"{len(v)} {k}" for k, v in r["retires"].items()]
    Console().print(
        f"lake {r['lake']}: removed {', '.join(parts)} ({r['octets_liberes'] / 2**20:,.1f} MiB freed); "
        f"kept the {r['garder']} newest failed ingests and old versions, and every published year"
    )


def afficher_publication(r: dict) -> None:
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
    c.print(f"publication: {r['dossier']} (sign-off report: {Path(r['dossier']) / 'rapport.html'})")


def afficher_backfill(r: list[dict]) -> None:
    from rich.console import Console

    t = Table(title="Backfill: what changed per year")
    for c in ("year", "run", "lines", "amount (€)", "vs previous run", "published", "regularisations (€)"):
        t.add_column(c, justify="left" if c in ("run", "vs previous run", "published") else "right")
    for x in r:  # one per year, ascending
        annee = x["annee"]
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


def afficher_simulation(r: dict) -> None:
    from rich.console import Console

    def e(c: int) -> str:
        return f"{c / 100:,.0f}"

    if "scenarios" in r:  # several reforms: one table, a cost column per reform, then each one's detail
        noms = [Path(x["reforme"]).name for x in r["scenarios"]]
        t = Table(title=f"Reforms of year {r['annee_reference']} (paid {r['annee_reference'] + 1}), €")
        t.add_column("dispositif")
        t.add_column("cost base", justify="right")
        for n in noms:
            t.add_column(f"{n}: difference", justify="right")
        dispositifs = list(dict.fromkeys(d["dispositif"] for x in r["scenarios"] for d in x["dispositifs"]))
        par = [{d["dispositif"]: d for d in x["dispositifs"]} for x in r["scenarios"]]
        for d in dispositifs:
            base = next(p[d]["base"]["cout_centimes"] for p in par if d in p)
            t.add_row(d, e(base), *(e(p[d]["ecart_centimes"]) if d in p else "" for p in par))
        Console(width=max(Console().width, 150)).print(t)
        for x in r["scenarios"]:
            afficher_simulation(x)
        return

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


def afficher_rapport(rapport: dict) -> None:
    from rich.console import Console

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


def explication(ps: str, annee: int, dossier: Path) -> dict:
    """One beneficiary's justifications for year N in a run folder (none: the run did not evaluate him)."""
    j = pl.read_parquet(dossier / "justificatifs.parquet").filter(pl.col("beneficiaire_id") == ps)
    lignes = j.sort("dispositif", "reference_contrat", nulls_last=False).iter_rows(named=True)
    return {
        "beneficiaire": ps,
        "annee_reference": annee,
        "run": dossier.name,
        "dispositifs": [x | {"detail": json.loads(x["detail"])} for x in lignes],
    }


def _valeur(cle: str, v) -> str:
    """A measure as a person reads it: shares as percentages with 2 decimals."""
    if cle.startswith("part_") and isinstance(v, int | float) and not isinstance(v, bool):
        return f"{v * 100:.2f} %"
    return str(v)


def afficher_explication(x: dict, console: Console | None = None) -> None:
    """Why each forfait was or was not paid to one beneficiary for year N."""
    c = console or Console()
    ps, annee, run = x["beneficiaire"], x["annee_reference"], x["run"]
    if not x["dispositifs"]:
        c.print(f"{ps} is not a practitioner of DA_PRA_R at 31/12/{annee} (run {run}): nothing evaluated.")
        return
    c.print(f"[bold]{ps}[/bold], year {annee}, run {run}")
    for d in x["dispositifs"]:
        if not d["en_vigueur"]:
            c.print(f"  {d['dispositif']}: not in force for {annee}")
            continue
        detail = d["detail"]
        if d["reference_contrat"] is not None:
            _expliquer_contrat(c, d, detail, annee)
            continue
        if d["dispositif"] in LISTES_ELIGIBILITE:
            verdict = (
                f"[green]eligible[/green] at 31/12/{annee}"
                if d["est_eligible"]
                else "[red]not eligible[/red]: condition(s) not met: " + ", ".join(d["criteres_non_remplis"])
            )
        elif d["est_eligible"]:
            verdict = f"[green]paid {d['montant_centimes'] / 100:,.2f} €[/green]"
        else:
            verdict = "[red]not paid[/red]: condition(s) not met: " + ", ".join(d["criteres_non_remplis"])
        c.print(f"  {d['dispositif']}: {verdict}")
        mesures = {k: v for k, v in detail.items() if not k.startswith("critere_") and k not in _SORTIES}
        c.print("    " + "; ".join(f"{k} = {_valeur(k, v)}" for k, v in mesures.items()))
        criteres = [(k.removeprefix("critere_"), v) for k, v in detail.items() if k.startswith("critere_")]
        c.print("    " + "; ".join(f"{k}: {'yes' if v else 'no'}" for k, v in criteres))


def afficher_dispositifs_hors_forfaits(console: Console, dossier: Path) -> None:
    """The DIPA regularisation (payments and recoveries) and a CPTS line per size tier, of a run folder."""
    paiements = pl.read_parquet(dossier / "paiements.parquet")
    dipa = paiements.filter(pl.col("dispositif") == "AIDE_PERTE_ACTIVITE_COVID")
    if dipa.height:
        t = Table(title="DIPA 2020 regularisation (aid − acompte), due " + str(dipa["echeance"][0]))
        for col in ("", "lines", "sum (€)"):
            t.add_column(col, justify="right")
        for nom, f in (
            ("to pay", pl.col("montant_centimes") > 0),
            ("to recover", pl.col("montant_centimes") < 0),
        ):
            s = dipa.filter(f)["montant_centimes"]
            t.add_row(nom, f"{s.len():,}", f"{s.sum() / 100:,.2f}")
        t.add_row("net", f"{dipa.height:,}", f"{dipa['montant_centimes'].sum() / 100:,.2f}")
        console.print(t)
    j = pl.read_parquet(dossier / "justificatifs.parquet").filter(
        (pl.col("dispositif") == "FINANCEMENT_CPTS") & pl.col("est_eligible")
    )
    if j.height:
        detail = j["detail"].str.json_decode(
            pl.Struct({"tranche": pl.Int64, "population": pl.Int64, "plafonne": pl.Boolean})
        )
        j = j.with_columns(detail.struct.unnest()).sort("tranche", "population")
        t = Table(title="CPTS funding: a CPTS line per size tier; n and tier €: the tier's CPTS and total")
        for col in ("tier", "CPTS", "population", "€", "n", "tier €", "capped"):
            t.add_column(col, justify="right")
        for (tranche,), g in j.group_by("tranche", maintain_order=True):
            x = g.row(0, named=True)
            t.add_row(
                str(tranche),
                x["beneficiaire_id"],
                f"{x['population']:,}",
                f"{x['montant_centimes'] / 100:,.2f}",
                str(g.height),
                f"{g['montant_centimes'].sum() / 100:,.2f}",
                str(int(g["plafonne"].sum())),
            )
        console.print(t)

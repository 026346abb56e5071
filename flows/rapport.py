"""The sign-off report of a run or a publication: ``rapport.html`` in its folder, one self-contained file (CSS
inline, charts as inline SVG drawn by matplotlib, no script, nothing fetched), printable to PDF.

A run's report: its headline (year, parameters and overlays, illustrative values in red, code version, input
hashes, stage timings), what it pays and recovers per dispositif and nature, how it compares with the previous
run of the same year and with the last published run of N−1 (differences beyond ``controles.
ecart_alerte_rapport`` flagged), the distributions (amounts per beneficiary, the reference patientèle MT and
its percentiles beside the published ones, the AME share and its threshold, oriented patients and their
tiers, the forfait médecin traitant against the national averages), the control lists, the largest amounts
and changes, and the quarantine (counts and row numbers, never a value). A publication's report: its new keys
and regularisations, to pay and to recover, and the ledger's cumulative amounts after it.
"""

from __future__ import annotations

import io
import json
import os
import uuid
from datetime import date
from pathlib import Path

import jinja2
import matplotlib

matplotlib.use("svg")
import matplotlib.pyplot as plt  # noqa: E402
import polars as pl  # noqa: E402
from matplotlib.ticker import FuncFormatter, MaxNLocator  # noqa: E402

from flows.dossier_run import runs_publies  # noqa: E402
from flows.parametres_io import charger_parametres  # noqa: E402
from transforms import rapport as r  # noqa: E402
from transforms.parametres import JeuParametres  # noqa: E402

plt.rcParams.update(
    {
        "svg.fonttype": "none",  # text stays text: smaller, selectable, printable
        "svg.hashsalt": "forfaits",  # the same ids on every build: the same bytes for the same inputs
        "font.size": 9,
        "axes.spines.top": False,
        "axes.spines.right": False,
    }
)
GABARITS = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "gabarits"),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
)
GABARITS.filters.update(euros=r.euros, entier=r.entier, pourcent=r.pourcent, jour=r.jour)
NOM = "rapport.html"
COULEURS = {"trait": "#1f4e79", "seuil": "#c0392b", "publie": "#7f8c8d", "barre": "#5b8db8"}


def _svg(fig) -> str:
    tampon = io.StringIO()
    fig.savefig(tampon, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    texte = tampon.getvalue()
    return texte[texte.index("<svg") :]


def _histogramme(
    valeurs: list[float],
    unite: str,
    axe: str,
    lignes: list[tuple[float, str, str]] = (),
    poids: list[float] | None = None,
    format_x=None,
) -> str:
    """A histogram of ``unite`` (doctors, CPTS…) with vertical lines (thresholds, published values) named in
    its legend, as inline SVG."""
    fig, ax = plt.subplots(figsize=(7.2, 2.6))
    ax.hist(valeurs, bins=40, weights=poids, color=COULEURS["barre"])
    for x, etiquette, couleur in lignes:
        style = "--" if couleur == "publie" else "-"
        ax.axvline(x, color=COULEURS[couleur], linestyle=style, linewidth=1.2, label=etiquette)
    if lignes:
        ax.legend(loc="upper right", fontsize=8, frameon=False)
    ax.set_xlabel(axe)
    ax.set_ylabel(unite)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: r.entier(int(v))))
    if format_x:
        ax.xaxis.set_major_formatter(FuncFormatter(format_x))
    return _svg(fig)


def _graphiques(
    annee: int,
    paiements: pl.DataFrame,
    justificatifs: pl.DataFrame,
    distribution: pl.DataFrame | None,
    annee_distribution: int | None,
    p: JeuParametres,
) -> tuple[list[dict], list[dict]]:
    """(charts, notes): every chart of a run's report, each with its id; a note for each chart that has
    nothing to show and why."""
    graphiques, notes = [], []
    d = date(annee, 12, 31)
    montants = r.par_beneficiaire(paiements)
    for (dispositif,), g in sorted(montants.group_by("dispositif"), key=lambda x: x[0]):
        graphiques.append(
            {
                "id": f"montants-{dispositif.lower()}",
                "titre": f"{dispositif}: net amount per beneficiary ({g.height:,} beneficiaries)",
                "svg": _histogramme(
                    (g["montant_centimes"] / 100).to_list(),
                    "CPTS" if g["beneficiaire_type"][0] == "CPTS" else "doctors",
                    "€ per beneficiary",
                    format_x=lambda v, _: r.entier(round(v)),
                ),
            }
        )
    generalistes = [int(x) for x in p.a("commun", "specialites_generalistes", d)]
    if distribution is not None and distribution.height:
        gp = distribution.filter(pl.col("specialite").is_in(generalistes))
        publies = p.a("aide_assistant_medical", "seuils_publies", d)
        rangs = [int(p.a("aide_assistant_medical", "percentile_eligibilite", d))]
        rangs += sorted(int(x) for x in p.a("aide_assistant_medical", "percentiles_bandes", d).values())
        seuils = r.percentiles_publies_et_calcules(distribution, generalistes, publies, rangs)
        lignes = [(x["calcule"], f"P{x['rang']} {x['calcule']}", "seuil") for x in seuils if x["calcule"]]
        lignes += [(x["publie"], f"published {x['publie']}", "publie") for x in seuils if x["publie"]]
        graphiques.append(
            {
                "id": "patientele-mt-reference",
                "titre": f"GP patientèle MT at 31/12/{annee_distribution}: percentiles computed, published",
                "svg": _histogramme(
                    gp["valeur"].to_list(), "GPs", "patientèle MT", lignes, gp["nb_medecins"].to_list()
                ),
                "tableau": seuils,
            }
        )
    else:
        notes.append("GP patientèle MT of the reference year: the reference year is not in the lake.")
    ame = r.mesures(justificatifs, "FORFAIT_AME", {"nb_actes": pl.Int64, "part_actes_ame": pl.Float64})
    ame = ame.filter(pl.col("nb_actes") > 0) if ame.height else ame
    if ame.height:
        seuil = float(p.a("forfait_ame", "seuil_part_actes_ame", date(annee, 1, 1)))
        graphiques.append(
            {
                "id": "part-ame",
                "titre": "Share of AME acts per doctor with acts, and the threshold",
                "svg": _histogramme(
                    ame["part_actes_ame"].to_list(),
                    "doctors",
                    "AME acts / acts",
                    [(seuil, f"threshold {r.pourcent(seuil)} (strictly above)", "seuil")],
                    format_x=lambda v, _: r.pourcent(v, 0),
                ),
            }
        )
    else:
        notes.append(f"Share of AME acts: the forfait AME is not in force for {annee}.")
    ipa = r.mesures(justificatifs, "FORFAIT_IPA", {"nb_patients_orientes_ipa": pl.Int64})
    ipa = ipa.filter(pl.col("nb_patients_orientes_ipa") > 0) if ipa.height else ipa
    if ipa.height:
        paliers = p.a("forfait_ipa", "paliers", date(annee, 1, 1))
        graphiques.append(
            {
                "id": "orientations-ipa",
                "titre": "Patients oriented to an IPA per doctor (doctors with at least one), and the tiers",
                "svg": _histogramme(
                    ipa["nb_patients_orientes_ipa"].to_list(),
                    "doctors",
                    "patients oriented in N",
                    [(x["nb_patients_min"], f"tier {x['nb_patients_min']}", "seuil") for x in paliers],
                ),
            }
        )
    else:
        notes.append(f"Patients oriented to an IPA: the forfait IPA is not in force for {annee}, or nobody.")
    fmt = r.mesures(justificatifs, "FORFAIT_MEDECIN_TRAITANT", {"specialite": pl.Int64})
    fmt = fmt.filter(pl.col("est_eligible") & pl.col("specialite").is_in(generalistes)) if fmt.height else fmt
    if fmt.height:
        attendu = p.a("forfait_medecin_traitant", "montant_moyen_attendu_centimes", date(annee + 1, 1, 1))
        moyenne = fmt["montant_centimes"].mean() / 100
        titre = f"Forfait médecin traitant per GP paid ({r.entier(fmt.height)}), "
        titre += f"mean {r.euros(round(moyenne * 100))}"
        graphiques.append(
            {
                "id": "forfait-medecin-traitant",
                "titre": titre,
                "svg": _histogramme(
                    (fmt["montant_centimes"] / 100).to_list(),
                    "GPs",
                    "€ per year",
                    [
                        (moyenne, "mean of the run", "seuil"),
                        (attendu["min"] / 100, f"CNAM {r.euros(attendu['min'])}", "publie"),
                        (attendu["max"] / 100, f"CNAM {r.euros(attendu['max'])}", "publie"),
                    ],
                    format_x=lambda v, _: r.entier(int(v)),
                ),
            }
        )
    else:
        notes.append(f"Forfait médecin traitant: no GP is paid for {annee}.")
    return graphiques, notes


def _run_precedent(out: Path, annee: int, run_id: str) -> Path | None:
    """The latest run of year N before run ``run_id`` (run ids sort by their time)."""
    avant = [d for d in runs_publies(out, annee) if d.name < run_id]
    return avant[-1] if avant else None


def _run_publie(out: Path, publications: Path | None, annee: int) -> tuple[Path | None, str]:
    """The run folder of the last publication of year N (or, without one, the latest run of N)."""
    if publications is not None and publications.is_dir():
        pubs = sorted(
            (
                (json.loads((d / "manifest.json").read_text(encoding="utf-8")), d.name)
                for d in publications.glob(f"{annee}-*")
                if (d / "manifest.json").exists()
            ),
            key=lambda x: x[1],  # <N>-<seq>: the order of publication
        )
        for m, nom in reversed(pubs):
            if (out / m["run_id"]).is_dir():
                return out / m["run_id"], f"run {m['run_id']}, published as {nom}"
    runs = runs_publies(out, annee)
    if not runs:
        return None, ""
    return runs[-1], f"run {runs[-1].name} (latest run of {annee}; no publication of it found)"


def ecrire(dossier: Path, html: str) -> Path:
    """Write the report beside the folder's files (temporary name, rename: never half-written)."""
    tmp = dossier / f".{NOM}.{uuid.uuid4().hex}"
    tmp.write_text(html, encoding="utf-8")
    os.replace(tmp, dossier / NOM)
    return dossier / NOM


def rapport_run(dossier: Path, publications: Path | None = None, p: JeuParametres | None = None) -> Path:
    """Build ``rapport.html`` of the run folder ``dossier`` (its siblings are the other runs)."""
    p = p or charger_parametres()
    manifest = json.loads((dossier / "manifest.json").read_text(encoding="utf-8"))
    annee = manifest["annee_reference"]
    paiements = pl.read_parquet(dossier / "paiements.parquet")
    justificatifs = pl.read_parquet(dossier / "justificatifs.parquet")
    distribution = seuils = None
    if (dossier / "distribution_reference.parquet").exists():
        distribution = pl.read_parquet(dossier / "distribution_reference.parquet")
    if (dossier / "seuils_reference.parquet").exists():
        seuils = r.lignes_json(pl.read_parquet(dossier / "seuils_reference.parquet"))
    seuil = float(p.a("controles", "ecart_alerte_rapport", date(annee, 1, 1)))
    comparaisons = []
    precedent = _run_precedent(dossier.parent, annee, manifest["run_id"])
    if precedent is not None:
        comparaisons.append((f"the previous run of {annee} ({precedent.name})", precedent))
    # the publications the run was configured with (its manifest), unless asked for others
    publications = publications or (Path(manifest["publications"]) if manifest.get("publications") else None)
    autre, libelle = _run_publie(dossier.parent, publications, annee - 1)
    if autre is not None:
        comparaisons.append((f"{annee - 1}: {libelle}", autre))
    comparer = []
    for titre, d in comparaisons:
        autres = pl.read_parquet(d / "paiements.parquet")
        comparer.append(
            {
                "titre": titre,
                "ecarts": r.lignes_json(r.ecarts(paiements, autres, seuil)),
                "changements": r.lignes_json(r.plus_gros_changements(paiements, autres))
                if d.name.startswith(f"{annee}-")
                else None,
            }
        )
    graphiques, notes = _graphiques(
        annee, paiements, justificatifs, distribution, manifest.get("annee_distribution_reference"), p
    )
    controles = {
        f.stem.removeprefix("controle_"): r.lignes_json(pl.read_parquet(f))
        for f in sorted(dossier.glob("controle_*.parquet"))
    }
    html = GABARITS.get_template("rapport_run.html.j2").render(
        m=manifest,
        totaux=r.lignes_json(r.totaux(paiements)),
        totaux_dispositif=r.lignes_json(r.totaux(paiements, ("dispositif",))),
        total=r.lignes_json(r.totaux(paiements.with_columns(pl.lit("total").alias("tout")), ("tout",))),
        comparaisons=comparer,
        seuil_alerte=seuil,
        graphiques=graphiques,
        notes=notes,
        seuils_reference=seuils,
        controles=controles,
        plus_gros=r.lignes_json(r.plus_gros_montants(paiements)),
        quarantaine=r.defauts_de_quarantaine(manifest.get("entrees", {})),
    )
    return ecrire(dossier, html)


def rapport_publication(dossier: Path) -> Path:
    """Build ``rapport.html`` of a publication folder, from its files alone (written from the ledger)."""
    manifest = json.loads((dossier / "manifest.json").read_text(encoding="utf-8"))
    lignes = pl.read_parquet(dossier / "paiements.parquet")
    regul = lignes.filter(pl.col("nature_versement") == "REGULARISATION")
    nouvelles = lignes.filter(pl.col("nature_versement") != "REGULARISATION")
    html = GABARITS.get_template("rapport_publication.html.j2").render(
        m=manifest,
        nouvelles=r.lignes_json(r.totaux(nouvelles, ("dispositif",))),
        regularisations=r.lignes_json(r.totaux(regul, ("dispositif",))),
        totaux=r.lignes_json(r.totaux(lignes)),
        plus_gros=r.lignes_json(r.plus_gros_montants(regul)),
    )
    return ecrire(dossier, html)


def rapport(dossier: Path, publications: Path | None = None) -> Path:
    """The report of a run folder or of a publication folder (told apart by their manifests)."""
    manifest = json.loads((Path(dossier) / "manifest.json").read_text(encoding="utf-8"))
    if "publication_id" in manifest:
        return rapport_publication(Path(dossier))
    return rapport_run(Path(dossier), publications)

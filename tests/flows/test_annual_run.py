"""The annual run end to end under Prefect, and the invariants of its outputs (hypothesis)."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flows.annual_run import ErreurRun, executer
from flows.generation import generer
from flows.ingest import ingerer
from flows.orchestration import annual_run
from flows.parametres_io import OVERLAY_ILLUSTRATIF, charger_parametres
from flows.reglages import Reglages
from transforms.paiements import CLE_METIER, avec_ids, id_ligne, totaux_de_controle

P_ILLUSTRATIF = charger_parametres(overlay=OVERLAY_ILLUSTRATIF)

N = 2025
R = 2021  # the reference distribution of the assistant aid
PREC = N - 1  # the forfait médecin traitant paid in 2026 reads the claims of N − 1


@pytest.fixture(scope="module")
def premier_run(tmp_path_factory, extraits_minuscules, harnais_prefect):
    d = tmp_path_factory.mktemp("run")
    (d / "x").symlink_to(extraits_minuscules)
    for annee in (R, PREC):
        ingerer(d / "x" / str(annee), annee, d / "lake", memoire="2GB")
    r = annual_run(
        N,
        str(d / "lake"),
        str(d / "out"),
        extract=str(d / "x" / str(N)),
        overlay=str(OVERLAY_ILLUSTRATIF),
        memoire="2GB",
    )
    return d, r


def test_the_flow_publishes_a_checked_payment_file(premier_run):
    d, r = premier_run
    dossier = d / "out" / r["run_id"]
    assert r["dossier"] == str(dossier)
    assert {f.name for f in dossier.iterdir()} >= {
        "paiements.parquet",
        "paiements.csv",
        "justificatifs.parquet",
        "manifest.json",
    }
    assert not list((d / "out").glob(".tmp-*"))  # nothing left under a temporary name
    paiements = pl.read_parquet(dossier / "paiements.parquet")
    assert paiements.height > 0
    assert set(paiements["dispositif"]) == {  # SAS from 2026
        "FORFAIT_AME",
        "FORFAIT_IPA",
        "FORFAIT_MSU",
        "AIDE_ASSISTANT_MEDICAL",
        "FORFAIT_MEDECIN_TRAITANT",
        "FINANCEMENT_CPTS",  # the DIPA is for 2020 only
    }
    cpts = paiements.filter(pl.col("dispositif") == "FINANCEMENT_CPTS")
    assert (cpts["beneficiaire_type"] == "CPTS").all() and (cpts["echeance"] == date(N + 1, 4, 30)).all()
    assert (paiements.filter(pl.col("beneficiaire_type") == "CPTS")["dispositif"] == "FINANCEMENT_CPTS").all()
    annuels = paiements.filter(
        pl.col("dispositif").str.starts_with("FORFAIT_") & (pl.col("nature_versement") == "FORFAIT")
    )
    assert (annuels["echeance"] == date(N + 1, 4, 30)).all()
    aam = paiements.filter(pl.col("dispositif") == "AIDE_ASSISTANT_MEDICAL")
    assert set(aam["nature_versement"]) == {"FORFAIT", "ACOMPTE", "SOLDE"}
    assert aam["reference_contrat"].is_not_null().all()
    assert (aam["echeance"].dt.year() == N + 1).all()


def test_the_reference_distribution_is_computed_from_the_lake_and_kept(premier_run):
    d, _ = premier_run
    gardes = d / "lake" / "derives" / "percentiles"
    assert (gardes / f"annee={R}.parquet").exists() and (gardes / f"annee={R}.json").exists()
    p = pl.read_parquet(gardes / f"annee={R}.parquet")
    assert set(p["annee"]) == {R} and {30, 90, 95} <= set(p["percentile"])


def test_assistant_contracts_are_justified_one_by_one_and_controlled(premier_run):
    d, r = premier_run
    dossier = d / "out" / r["run_id"]
    j = pl.read_parquet(dossier / "justificatifs.parquet").filter(
        pl.col("dispositif") == "AIDE_ASSISTANT_MEDICAL"
    )
    contrats = pl.read_parquet(d / "lake" / f"annee={N}" / "CONTRATS_AAM.parquet")
    assert set(j["reference_contrat"].drop_nulls()) == set(contrats["CTR_NUM"])
    paiements = pl.read_parquet(dossier / "paiements.parquet").filter(
        pl.col("dispositif") == "AIDE_ASSISTANT_MEDICAL"
    )
    nets = paiements.group_by("reference_contrat").agg(pl.col("montant_centimes").sum())
    par_contrat = j.filter(pl.col("reference_contrat").is_not_null()).select(
        "reference_contrat", "montant_centimes"
    )
    assert (
        nets.join(par_contrat, on="reference_contrat", suffix="_j")
        .filter(pl.col("montant_centimes") != pl.col("montant_centimes_j"))
        .is_empty()
    )
    controles = pl.read_parquet(dossier / "controle_aide_assistant_medical.parquet")
    assert "AAMB00007" in controles["reference_contrat"].to_list()  # TIERS_TEMPS signed on 2023-05-01
    assert "AAMB00007" not in paiements["reference_contrat"].to_list()


def test_a_year_after_the_reference_needs_it_in_the_lake(tmp_path):
    generer(
        tmp_path / "x", [PREC], 0.0005, 6, "parquet", charger_parametres(), "2GB", progression=lambda m: None
    )
    with pytest.raises(ErreurRun, match=r"distribution of 31/12/2021 .*year 2021 is not in the lake"):
        executer(
            PREC, Reglages(tmp_path / "lake", tmp_path / "out", "2GB"), extract=tmp_path / "x" / str(PREC)
        )
    assert not list((tmp_path / "out").iterdir())  # nothing published, nothing left half-written


def test_the_fmt_of_2026_needs_the_previous_year_in_the_lake(tmp_path):
    generer(
        tmp_path / "x", [N], 0.0005, 6, "parquet", charger_parametres(), "2GB", progression=lambda m: None
    )
    with pytest.raises(
        ErreurRun,
        match=r"forfait_medecin_traitant of 2025 needs the claims of 2024: year 2024 is not in the lake",
    ):
        executer(N, Reglages(tmp_path / "lake", tmp_path / "out", "2GB"), extract=tmp_path / "x" / str(N))
    assert not list((tmp_path / "out").iterdir())


def test_fmt_is_paid_in_four_installments_that_sum_to_the_justified_amount(premier_run):
    d, r = premier_run
    dossier = d / "out" / r["run_id"]
    p = pl.read_parquet(dossier / "paiements.parquet").filter(
        pl.col("dispositif") == "FORFAIT_MEDECIN_TRAITANT"
    )
    assert set(p["echeance"]) == {date(N + 1, m, 15) for m in (4, 6, 9, 11)}
    j = pl.read_parquet(dossier / "justificatifs.parquet").filter(
        (pl.col("dispositif") == "FORFAIT_MEDECIN_TRAITANT") & pl.col("est_eligible")
    )
    sommes = p.group_by("beneficiaire_id").agg(pl.col("montant_centimes").sum().alias("s"))
    assert sommes.join(j, on="beneficiaire_id").filter(pl.col("s") != pl.col("montant_centimes")).is_empty()
    assert sommes.height == j.height > 0


def test_simulation_with_an_empty_overlay_equals_the_baseline(premier_run, tmp_path):
    from flows.simulate import simuler

    d, _ = premier_run
    vide = tmp_path / "vide"
    vide.mkdir()
    s = simuler(PREC, Reglages(d / "lake", memoire="2GB"), vide, overlay=OVERLAY_ILLUSTRATIF)
    assert s["dispositifs"] and all(
        x["ecart_centimes"] == 0 and x["gagnants"] == x["perdants"] == 0 and x["base"] == x["reforme"]
        for x in s["dispositifs"]
    )


def test_seed_004_reform_raises_only_the_fmt_and_is_checked_against_its_envelope(premier_run):
    from flows.simulate import simuler

    d, _ = premier_run
    reforme = Path(__file__).parents[2] / "data" / "reforms" / "seed004_revalorisation_fmt"
    s = simuler(PREC, Reglages(d / "lake", memoire="2GB"), reforme, overlay=OVERLAY_ILLUSTRATIF)
    par = {x["dispositif"]: x for x in s["dispositifs"]}
    fmt = par["FORFAIT_MEDECIN_TRAITANT"]
    assert fmt["ecart_centimes"] > 0 and fmt["perdants"] == 0 and fmt["gagnants"] > 0
    assert all(x["ecart_centimes"] == 0 for k, x in par.items() if k != "FORFAIT_MEDECIN_TRAITANT")
    (v,) = s["enveloppes"]
    assert (v["enveloppe_centimes"], v["enveloppe_par_medecin_centimes"]) == (10_000_000_000, 200_000)
    assert v["ecart_centimes"] == fmt["ecart_centimes"]


def test_manifest_totals_equal_the_sums_of_the_file(premier_run):
    d, r = premier_run
    dossier = d / "out" / r["run_id"]
    m = json.loads((dossier / "manifest.json").read_text(encoding="utf-8"))
    paiements = pl.read_parquet(dossier / "paiements.parquet")
    for t in m["totaux_de_controle"]:
        lignes = paiements.filter(
            (pl.col("dispositif") == t["dispositif"]) & (pl.col("nature_versement") == t["nature_versement"])
        )
        assert (lignes.height, lignes["montant_centimes"].sum()) == (t["nb_lignes"], t["somme_centimes"])
    csv = pl.read_csv(dossier / "paiements.csv", separator=";", infer_schema=False)
    assert csv["montant_centimes"].cast(pl.Int64).sum() == m["total"]["somme_centimes"]
    assert m["entrees"]["ER_PRS_F"]["lignes_lues"] > 0 and m["parametres"]["empreinte"]


def test_justifications_cover_every_doctor_and_hold_no_patient_id(premier_run):
    d, r = premier_run
    dossier = d / "out" / r["run_id"]
    j = pl.read_parquet(dossier / "justificatifs.parquet")
    da_pra_r = pl.read_parquet(d / "lake" / f"annee={N}" / "DA_PRA_R.parquet")
    assert j.filter(pl.col("dispositif") == "FORFAIT_AME").height == da_pra_r["STA_PFS_NUM"].n_unique()
    texte = "".join(j["detail"]) + (dossier / "paiements.csv").read_text()
    nirs = pl.read_parquet(d / "lake" / f"annee={N}" / "IR_BEN_R.parquet")["BEN_NIR_PSA"].head(2000)
    assert not any(n in texte for n in nirs)


def test_a_rerun_gives_the_same_lines_and_ids_in_a_new_folder(premier_run):
    d, r = premier_run
    r2 = executer(N, Reglages(d / "lake", d / "out", "2GB"), parametres=P_ILLUSTRATIF)
    assert r2["dossier"] != r["dossier"]
    a = pl.read_parquet(d / "out" / r["run_id"] / "paiements.parquet")
    b = pl.read_parquet(r2["dossier"] + "/paiements.parquet")
    assert a.equals(b)


def test_a_failed_run_leaves_earlier_runs_untouched(premier_run):
    d, r = premier_run
    avant = sorted(p.name for p in (d / "out").iterdir())
    with pytest.raises(ErreurRun, match="year 2019 is not in the lake"):
        executer(2019, Reglages(d / "lake", d / "out"))
    assert sorted(p.name for p in (d / "out").iterdir()) == avant


cles = st.fixed_dictionaries(
    {
        "beneficiaire_type": st.sampled_from(["PS", "CPTS"]),
        "beneficiaire_id": st.text("0123456789", min_size=8, max_size=8),
        "dispositif": st.sampled_from(["FORFAIT_AME", "FORFAIT_IPA", "FORFAIT_MSU"]),
        "annee_reference": st.integers(2017, 2030),
        "nature_versement": st.sampled_from(["FORFAIT", "SOLDE"]),
        "echeance": st.dates(date(2018, 1, 1), date(2031, 12, 31)),
        "reference_contrat": st.one_of(st.none(), st.text("AB0123456789", min_size=1, max_size=9)),
        "montant_centimes": st.integers(-(10**9), 10**9),
    }
)


@settings(max_examples=50, deadline=None)
@given(st.lists(cles, max_size=40, unique_by=lambda c: tuple(c[k] for k in CLE_METIER)))
def test_control_totals_equal_sums_and_ids_are_stable(lignes):
    df = pl.DataFrame(
        lignes,
        schema={
            "beneficiaire_type": pl.String,
            "beneficiaire_id": pl.String,
            "dispositif": pl.String,
            "annee_reference": pl.Int64,
            "nature_versement": pl.String,
            "echeance": pl.Date,
            "reference_contrat": pl.String,
            "montant_centimes": pl.Int64,
        },
    ).with_columns((pl.col("annee_reference") + 1).alias("annee_versement"))
    totaux = totaux_de_controle(df)
    assert sum(t["nb_lignes"] for t in totaux) == df.height
    assert sum(t["somme_centimes"] for t in totaux) == (df["montant_centimes"].sum() if df.height else 0)
    a, b = avec_ids(df), avec_ids(df.reverse())
    assert dict(zip(a["id_ligne"], a["montant_centimes"], strict=True)) == dict(
        zip(b["id_ligne"], b["montant_centimes"], strict=True)
    )
    assert a["id_ligne"].n_unique() == df.height  # distinct keys, distinct ids


def test_id_ligne_is_fixed_for_a_given_key():
    """Ids must not depend on the run, machine or library version: pinned on one key."""
    cle = ("PS", "75100001", "FORFAIT_AME", 2025, "FORFAIT", date(2026, 4, 30), None)
    texte = "PS|75100001|FORFAIT_AME|2025|FORFAIT|2026-04-30|"  # the documented format of the key
    assert id_ligne(cle) == hashlib.sha256(texte.encode()).hexdigest()[:32]
    assert id_ligne(cle) != id_ligne(cle[:-1] + ("C1",))


def test_the_manifest_names_the_illustrative_values_it_used(premier_run):
    d, r = premier_run
    m = json.loads((d / "out" / r["run_id"] / "manifest.json").read_text(encoding="utf-8"))
    avertissements = m["parametres"]["avertissements"]
    assert set(avertissements) == {"overlay/aide_perte_activite_covid.yaml", "overlay/financement_cpts.yaml"}
    assert all("ILLUSTRATIVE" in texte for texte in avertissements.values())


def test_the_cli_json_output_parses_and_matches_the_payment_file(premier_run):
    """`forfaits run --json` prints one JSON object whose totals are those of the payment file it wrote."""
    from typer.testing import CliRunner

    from flows.cli import app

    d, _ = premier_run
    arguments = ["run", "--year", str(N), "--lake", str(d / "lake"), "--out", str(d / "out_cli")]
    arguments += ["--overlay", str(OVERLAY_ILLUSTRATIF), "--memory", "2GB", "--json"]
    r = CliRunner().invoke(app, arguments)
    assert r.exit_code == 0, r.output
    sortie = json.loads(r.stdout.strip().splitlines()[-1])
    paiements = pl.read_parquet(Path(sortie["dossier"]) / "paiements.parquet")
    somme = paiements["montant_centimes"].sum()
    assert sortie["total"] == {"nb_lignes": paiements.height, "somme_centimes": somme}
    par_groupe = {
        (t["dispositif"], t["nature_versement"]): (t["nb_lignes"], t["somme_centimes"])
        for t in sortie["totaux_de_controle"]
    }
    attendu = paiements.group_by("dispositif", "nature_versement").agg(
        pl.len().alias("n"), pl.col("montant_centimes").sum().alias("s")
    )
    cles = ("dispositif", "nature_versement")
    assert par_groupe == {tuple(x[k] for k in cles): (x["n"], x["s"]) for x in attendu.to_dicts()}


def forfait_jouet(activite_medecins: pl.DataFrame, p, annee: int) -> pl.DataFrame:
    """A toy dispositif: a yearly amount to every doctor in scope with acts in N."""
    from transforms.rules.commun import resultat

    df = activite_medecins.with_columns(
        pl.col("est_dans_champ").alias("critere_dans_champ"), (pl.col("nb_actes") > 0).alias("critere_actes")
    )
    montant = int(p.a("forfait_jouet", "montant_centimes", date(annee, 1, 1)))
    return resultat(df, "FORFAIT_JOUET", annee, ["nb_actes"], pl.lit(montant))


@pytest.fixture(scope="module")
def parametres_jouet(tmp_path_factory):
    """The parameter folder with the toy dispositif's file beside the others."""
    import shutil

    from flows.parametres_io import DOSSIER_PARAMETRES

    d = tmp_path_factory.mktemp("parametres") / "parameters"
    shutil.copytree(DOSSIER_PARAMETRES, d)
    (d / "forfait_jouet.yaml").write_text(
        "parametres:\n  montant_centimes:\n    valeurs:\n"
        "      2024-01-01: {valeur: 1200, source: 'test: a toy dispositif'}\n",
        encoding="utf-8",
    )
    return charger_parametres(dossier=d, overlay=OVERLAY_ILLUSTRATIF)


def test_a_new_dispositif_is_one_registry_line_and_its_lines_reach_the_payment_file(
    premier_run, parametres_jouet, tmp_path
):
    """Adding a dispositif: its rule, its parameter file, one Regle; the run pays it and checks its lines."""
    from transforms.registre import REGLES, Regle

    d, r = premier_run
    jouet = Regle(
        "forfait_jouet",
        "FORFAIT_JOUET",
        forfait_jouet,
        entrees=("activite_medecins",),
        vigueur="montant_centimes",
        montants=lambda p, annee: [int(p.a("forfait_jouet", "montant_centimes", date(annee, 1, 1)))],
    )
    r2 = executer(
        N, Reglages(d / "lake", tmp_path / "out", "2GB"), parametres=parametres_jouet, regles=(*REGLES, jouet)
    )
    dossier = Path(r2["dossier"])
    paiements = pl.read_parquet(dossier / "paiements.parquet")
    lignes = paiements.filter(pl.col("dispositif") == "FORFAIT_JOUET")
    activite = pl.read_parquet(
        next((d / "lake" / "derives" / "modeles").glob(f"annee={N}-*")) / "activite_medecins.parquet"
    )
    payes = activite.filter(pl.col("est_dans_champ") & (pl.col("nb_actes") > 0))
    assert lignes.height == payes.height > 0
    assert set(lignes["beneficiaire_id"]) == set(payes["ps"])
    assert (lignes["montant_centimes"] == 1200).all() and (lignes["echeance"] == date(N + 1, 4, 30)).all()
    j = pl.read_parquet(dossier / "justificatifs.parquet").filter(pl.col("dispositif") == "FORFAIT_JOUET")
    assert j.height == activite.height  # one justification per doctor, paid or not
    ancien = pl.read_parquet(Path(r["dossier"]) / "paiements.parquet")
    assert paiements.filter(pl.col("dispositif") != "FORFAIT_JOUET").equals(ancien)  # the others unchanged
    faux = Regle(  # the same rule claiming another amount: the payment file's check refuses the run
        "forfait_jouet",
        "FORFAIT_JOUET",
        forfait_jouet,
        entrees=("activite_medecins",),
        vigueur="montant_centimes",
        montants=lambda p, annee: [999],
    )
    import pandera.errors

    with pytest.raises(pandera.errors.SchemaErrors, match="FORFAIT_JOUET"):
        executer(
            N,
            Reglages(d / "lake", tmp_path / "out2", "2GB"),
            parametres=parametres_jouet,
            regles=(*REGLES, faux),
        )


def test_the_flow_publishes_the_reports_headline_as_prefect_artifacts(premier_run):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    from transforms.rapport import euros

    d, r = premier_run
    filtre = ArtifactFilter(key=ArtifactFilterKey(any_=[f"paiements-{N}", f"rapport-{N}"]))
    with get_client(sync_client=True) as client:
        artefacts = {a.key: a for a in client.read_artifacts(artifact_filter=filtre)}
    assert set(artefacts) == {f"paiements-{N}", f"rapport-{N}"}
    table = json.loads(artefacts[f"paiements-{N}"].data)
    paiements = pl.read_parquet(d / "out" / r["run_id"] / "paiements.parquet")
    assert {x["dispositif"] for x in table} == set(paiements["dispositif"])
    assert euros(paiements["montant_centimes"].sum()) in artefacts[f"rapport-{N}"].data
    assert (d / "out" / r["run_id"] / "rapport.html").exists()

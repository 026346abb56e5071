"""Runner of the assistant-aid cases (tests/rules/aide_assistant_medical.yaml), and its reference thresholds.

Each case is one doctor (overrides of medecin_defaut.yaml) and at most one contract; the runner applies the
rule for year N and compares the doctor's eligibility, the payment lines due in N+1, the contract's
justification and the control list with what the case expects.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import polars as pl
import pytest
import yaml

from flows.parametres_io import charger_parametres
from transforms.rules.aide_assistant_medical import (
    SCHEMA_SEUILS,
    ReferenceManquante,
    aide_assistant_medical,
    seuils_reference,
)

DOSSIER = Path(__file__).parent / "rules"
P = charger_parametres()
MEDECIN = yaml.safe_load((DOSSIER / "medecin_defaut.yaml").read_text(encoding="utf-8"))
CAS = yaml.safe_load((DOSSIER / "aide_assistant_medical.yaml").read_text(encoding="utf-8"))
CONTRAT = {  # the columns of transforms/sql/int_contrats_aam.sql
    "reference_contrat": pl.String,
    "cabinet": pl.String,
    "ps": pl.String,
    "date_signature": pl.Date,
    "option": pl.String,
    "date_fin": pl.Date,
    "indicateur": pl.String,
    "valeur_initiale": pl.Int64,
    "objectif": pl.Int64,
    "est_signe_en_n": pl.Boolean,
    "est_optam_signature": pl.Boolean,
    "patientele_mt_signature": pl.Int64,
}


def _seuils() -> pl.DataFrame:
    return pl.DataFrame(
        [{"specialite": s, **v, "source": "cas"} for s, v in CAS["seuils"].items()], schema=SCHEMA_SEUILS
    )


def _contrats(cas: dict, medecin: dict, annee: int) -> pl.DataFrame:
    if "contrat" not in cas:
        return pl.DataFrame(schema=CONTRAT)
    c = {"ps": medecin["ps"], "cabinet": medecin["ps"], "date_fin": None} | CAS["contrat_defaut"]
    c |= cas["contrat"]
    signe_en_n = c["date_signature"].year == annee
    c.setdefault("est_signe_en_n", signe_en_n)
    c.setdefault("est_optam_signature", medecin["est_optam"] if signe_en_n else None)
    c.setdefault("patientele_mt_signature", medecin["patientele_mt"] if signe_en_n else None)
    return pl.DataFrame([c], schema=CONTRAT)


@pytest.mark.parametrize("cas", CAS["cas"], ids=[c["nom"] for c in CAS["cas"]])
def test_assistant_aid_case(cas):
    annee = cas["annee"]
    medecin = MEDECIN | cas.get("medecin", {})
    activite = pl.DataFrame([medecin], schema_overrides={"zone": pl.String})
    lignes, justifs, controles = aide_assistant_medical(
        activite, _contrats(cas, medecin, annee), _seuils(), P, annee
    )
    doc = justifs.filter(pl.col("reference_contrat").is_null()).row(0, named=True)
    for cle, attendu in cas.get("eligibilite", {}).items():
        assert doc[cle] == attendu, f"eligibility {cle}: {doc[cle]!r} != {attendu!r}"
    if "echeances" in cas:
        obtenu = [
            [x["nature_versement"], None, x["echeance"], x["montant_centimes"]]
            for x in lignes.sort("echeance", "nature_versement").iter_rows(named=True)
        ]
        attendu = sorted(([n, None, d, m] for n, _, d, m in cas["echeances"]), key=lambda x: (x[2], x[0]))
        assert obtenu == attendu
        assert (lignes["annee_versement"] == annee + 1).all()
        # the contract year of each line is in the justification
        if cas["echeances"]:
            detail = json.loads(justifs.filter(pl.col("reference_contrat") == "C1")["detail"][0])
            annees = {
                (e["nature_versement"], date.fromisoformat(e["echeance"])): e["annee_contrat"]
                for e in detail["echeances_n_plus_1"]
            }
            for n, k, d, _ in cas["echeances"]:
                assert annees[(n, d)] == k, f"{n} {d}: contract year {annees[(n, d)]} != {k}"
    if "justification" in cas:
        detail = json.loads(justifs.filter(pl.col("reference_contrat") == "C1")["detail"][0])
        for cle, attendu in cas["justification"].items():
            assert detail[cle] == attendu, f"justification {cle}: {detail[cle]!r} != {attendu!r}"
    if "controle" in cas:
        motifs = controles.filter(pl.col("reference_contrat") == "C1")["motifs"].to_list()
        assert (motifs[0] if motifs else []) == cas["controle"]


def test_a_contract_justification_sums_its_lines():
    medecin = MEDECIN | {"patientele_mt": 1000}
    activite = pl.DataFrame([medecin], schema_overrides={"zone": pl.String})
    cas = {"contrat": {"date_signature": date(2023, 4, 1)}}
    lignes, justifs, _ = aide_assistant_medical(activite, _contrats(cas, medecin, 2025), _seuils(), P, 2025)
    contrat = justifs.filter(pl.col("reference_contrat") == "C1").row(0, named=True)
    assert contrat["montant_centimes"] == lignes["montant_centimes"].sum() == 0  # 550 000 − 550 000
    detail = json.loads(contrat["detail"])
    solde = next(e for e in detail["echeances_n_plus_1"] if e["nature_versement"] == "SOLDE")
    assert (solde["montant_annuel"], solde["acompte_deja_verse"], solde["montant_proratise"]) == (
        1100000,
        550000,
        0,
    )
    assert solde["table_du"] == "2024-06-22" and detail["valeur_mesuree"] == 1000


def test_without_the_reference_year_gps_use_the_published_thresholds():
    s = seuils_reference(None, P, 2025, [1, 22, 23])
    assert s.select("p30", "p90", "p95").unique().rows() == [(775, 1503, 1721)]
    assert s["source"][0].startswith("seuils publiés")


def test_without_the_reference_year_another_specialty_is_an_error_naming_the_year():
    with pytest.raises(ReferenceManquante, match=r"year 2021 is not in the lake.*forfaits ingest"):
        seuils_reference(None, P, 2025, [1, 4])


def test_thresholds_are_read_from_the_reference_distribution():
    percentiles = pl.DataFrame(
        {
            "specialite": [4] * 5,
            "percentile": [30, 50, 70, 90, 95],
            "seuil": [310, 500, 700, 900, 950],
        }
    )
    s = seuils_reference(percentiles, P, 2025, [4, 6])
    assert s.filter(pl.col("specialite") == 4).select("p30", "p90", "p95").row(0) == (310, 900, 950)
    assert s.filter(pl.col("specialite") == 6)["p30"][0] is None  # absent from the distribution: no threshold

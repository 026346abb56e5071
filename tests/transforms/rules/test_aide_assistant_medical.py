"""The assistant aid beyond its cases (tests/rules/aide_assistant_medical.yaml): a contract's justification
against its lines, and the reference thresholds (rules.md §1)."""

from __future__ import annotations

import json
from datetime import date

import polars as pl
import pytest
from cas import appliquer, entrees_du_cas, fichiers, lire

from flows.parametres_io import charger_parametres
from transforms.rules.aide_assistant_medical import ReferenceManquante, seuils_reference

P = charger_parametres()
FICHIER = lire(next(f for f in fichiers() if f.stem == "aide_assistant_medical"))


def test_a_contract_justification_sums_its_lines():
    cas = {
        "activite_medecins": {"patientele_mt": 1000},
        "contrats_assistant_medical": {"date_signature": date(2023, 4, 1)},
    }
    r = appliquer("aide_assistant_medical", entrees_du_cas(FICHIER, cas), P, 2025)
    lignes, justifs = r.paiements, r.justificatifs
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

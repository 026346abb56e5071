"""CPTS funding (rules.md §9): the YAML cases written from the text, and the errors when the user has not
supplied the mission amounts."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import hypothesis.strategies as st
import polars as pl
import pytest
import yaml
from hypothesis import given, settings

from flows.parametres_io import charger_parametres
from transforms.paiements import justificatifs, lignes_ps
from transforms.parametres import ParametreError
from transforms.rules.financement_cpts import DISPOSITIF, financement_cpts, lignes_cpts

CAS = yaml.safe_load((Path(__file__).parent / "rules" / "financement_cpts.yaml").read_text("utf-8"))
SCHEMA = {
    "cpts_id": pl.String,
    "date_signature": pl.Date,
    "date_fin": pl.Date,
    "population": pl.Int64,
    "mission": pl.String,
    "date_debut_mission": pl.Date,
    "taux_atteinte": pl.Float64,
}
SANS_MISSION = {"mission": None, "date_debut_mission": None, "taux_atteinte": None}


@pytest.fixture(scope="module")
def p_cas(tmp_path_factory, ecrire_overlay):
    """The mission amounts of the cases, supplied through an overlay as a user would."""
    dossier = tmp_path_factory.mktemp("overlay")
    return ecrire_overlay(
        dossier, "financement_cpts", "missions_centimes", date(2019, 6, 20), CAS["missions_centimes"]
    )


def _int_cpts(contrat: dict, missions: list[dict]) -> pl.DataFrame:
    c = CAS["defaut"] | contrat
    return pl.DataFrame([c | m for m in missions] or [c | SANS_MISSION], schema=SCHEMA)


@pytest.mark.parametrize("cas", CAS["cas"], ids=[c["nom"] for c in CAS["cas"]])
def test_rule_case(cas, p_cas):
    annee = cas.get("annee", 2021)
    r = financement_cpts(_int_cpts(cas.get("contrat", {}), cas.get("missions", [])), p_cas, annee)
    assert r.height == 1
    j = justificatifs(r, "CPTS", "cpts_id").row(0, named=True)
    assert (j["beneficiaire_type"], j["beneficiaire_id"]) == ("CPTS", "CPTS_T")
    valeurs = j | r.row(0, named=True)
    for cle, attendu in cas["attendu"].items():
        assert valeurs[cle] == attendu, f"{cle}: {valeurs[cle]!r} != {attendu!r}"
    lignes = lignes_ps(lignes_cpts(r, p_cas, annee), annee, DISPOSITIF, "CPTS", "cpts_id")
    if "ligne" in cas:
        if cas["ligne"] is None:
            assert lignes.is_empty()
        else:
            ligne = lignes.row(0, named=True)
            assert {k: ligne[k] for k in cas["ligne"]} == cas["ligne"]
            assert (ligne["beneficiaire_type"], ligne["beneficiaire_id"]) == ("CPTS", "CPTS_T")


def test_mission_amounts_not_supplied_is_an_error_naming_the_parameter():
    p = charger_parametres()  # the user supplied nothing
    missions = [{"mission": "PREVENTION", "date_debut_mission": date(2020, 1, 1), "taux_atteinte": 0.5}]
    with pytest.raises(
        ParametreError, match=r"1 CPTS run 1 mission\(s\) in 2021.*missions_centimes.*overlay"
    ):
        financement_cpts(_int_cpts({}, missions), p, 2021)


def test_a_contract_without_mission_needs_no_mission_amount():
    r = financement_cpts(_int_cpts({}, []), charger_parametres(), 2021)
    assert r["montant_centimes"].to_list() == [5000000]


def test_a_mission_or_tier_missing_from_the_supplied_table_is_named(p_cas):
    missions = [{"mission": "QUALITE", "date_debut_mission": date(2020, 1, 1), "taux_atteinte": 0.5}]
    with pytest.raises(ParametreError, match="QUALITE tier 3"):
        financement_cpts(_int_cpts({"population": 100000}, missions), p_cas, 2021)


@settings(max_examples=50, deadline=None)
@given(
    st.integers(0, 400_000),
    st.dates(date(2019, 7, 1), date(2023, 12, 31)),
    st.lists(
        st.tuples(st.sampled_from(["ACCES_SOINS", "PARCOURS", "CRISE"]), st.integers(0, 100)),
        unique_by=lambda x: x[0],
        max_size=3,
    ),
    st.integers(2019, 2023),
)
def test_funding_is_between_zero_and_the_cap(p_cas, population, signature, missions, annee):
    m = [
        {"mission": nom, "date_debut_mission": signature, "taux_atteinte": t / 100}
        for nom, t in missions
        if signature <= date(annee, 12, 31)
    ]
    int_cpts = _int_cpts({"population": population, "date_signature": signature}, m)
    r = financement_cpts(int_cpts.filter(pl.col("date_signature") <= date(annee, 12, 31)), p_cas, annee)
    assert (r["montant_centimes"] >= 0).all()
    assert (r["montant_centimes"] <= r["plafond_annuel"]).all()
    payes, non = r.filter(pl.col("est_eligible")), r.filter(~pl.col("est_eligible"))
    assert payes.select(
        pl.col("montant_centimes") == pl.min_horizontal("total_avant_plafond", "plafond_annuel")
    )["montant_centimes"].all()
    assert (non["montant_centimes"] == 0).all()

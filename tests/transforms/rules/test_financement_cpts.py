"""CPTS funding (rules.md §9) beyond its cases (tests/rules/financement_cpts.yaml): the errors when the user
has not supplied the mission amounts, and the funding's bounds (hypothesis)."""

from __future__ import annotations

from datetime import date

import hypothesis.strategies as st
import polars as pl
import pytest
from cas import DOSSIER, ecrire_overlay, lire, trame
from hypothesis import given, settings

from flows.parametres_io import charger_parametres
from transforms.parametres import ParametreError
from transforms.rules.financement_cpts import financement_cpts

CAS = lire(DOSSIER / "financement_cpts.yaml")
DEFAUT = CAS["defaut"]["contrats_cpts"]


@pytest.fixture(scope="module")
def p_cas(tmp_path_factory):
    """The mission amounts of the cases, supplied through an overlay as a user would."""
    return charger_parametres(
        overlay=ecrire_overlay(tmp_path_factory.mktemp("overlay"), "financement_cpts", CAS["parametres"])
    )


def _int_cpts(contrat: dict, missions: list[dict]) -> pl.DataFrame:
    return trame("contrats_cpts", [DEFAUT | contrat | m for m in missions] or [DEFAUT | contrat])


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
    contrats_cpts = _int_cpts({"population": population, "date_signature": signature}, m)
    r = financement_cpts(contrats_cpts.filter(pl.col("date_signature") <= date(annee, 12, 31)), p_cas, annee)
    assert (r["montant_centimes"] >= 0).all()
    assert (r["montant_centimes"] <= r["plafond_annuel"]).all()
    payes, non = r.filter(pl.col("est_eligible")), r.filter(~pl.col("est_eligible"))
    assert payes.select(
        pl.col("montant_centimes") == pl.min_horizontal("total_avant_plafond", "plafond_annuel")
    )["montant_centimes"].all()
    assert (non["montant_centimes"] == 0).all()

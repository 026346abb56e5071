"""The 2020 Covid activity-loss aid (DIPA, rules.md §8) beyond its cases (tests/rules/
aide_perte_activite_covid.yaml): a missing rate is an error, and the aid's invariants (hypothesis)."""

from __future__ import annotations

from datetime import date

import hypothesis.strategies as st
import polars as pl
import pytest
from cas import DOSSIER, ecrire_overlay, lire, trame
from hypothesis import given, settings

from flows.parametres_io import charger_parametres
from transforms.rules.aide_perte_activite_covid import (
    TauxManquant,
    aide_perte_activite_covid,
    lignes_regularisation,
)

CAS = lire(DOSSIER / "aide_perte_activite_covid.yaml")
DEFAUT = CAS["defaut"]["declarants_aide_perte_activite_covid"]


@pytest.fixture(scope="module")
def avec_taux(tmp_path_factory):
    """The base parameters with the rates ``taux`` supplied through an overlay."""

    def jeu(taux):
        dossier = tmp_path_factory.mktemp("overlay")
        valeurs = {"taux_charges_fixes": {date(2020, 3, 16): taux}}
        return charger_parametres(overlay=ecrire_overlay(dossier, "aide_perte_activite_covid", valeurs))

    return jeu


@pytest.fixture(scope="module")
def p_cas(avec_taux):
    return avec_taux(CAS["parametres"]["taux_charges_fixes"][date(2020, 3, 16)])


def _declarants(*lignes: dict) -> pl.DataFrame:
    return trame("declarants_aide_perte_activite_covid", [DEFAUT | x for x in lignes])


def test_a_missing_rate_names_profession_specialty_and_sector(avec_taux):
    p = avec_taux([{"pfs_cat_cod": 1, "specialite": 15, "secteur": None, "taux": 0.458}])
    declarants = _declarants({"ps": "1"}, {"ps": "2", "pfs_cat_cod": 6, "specialite": 24}, {"ps": "3"})
    with pytest.raises(TauxManquant) as e:
        aide_perte_activite_covid(declarants, p, 2020)
    message = str(e.value)
    assert "profession (PFS_CAT_COD) 1, specialty 1, sector 1: 2 professional(s)" in message
    assert "profession (PFS_CAT_COD) 6, specialty 24, sector 1: 1 professional(s)" in message
    assert "overlay" in message


def test_a_declarant_who_is_not_owed_the_aid_needs_no_rate(avec_taux):
    p = avec_taux([{"pfs_cat_cod": 1, "specialite": 15, "secteur": None, "taux": 0.458}])
    r = aide_perte_activite_covid(_declarants({"part_substantielle": False, "acompte_verse": 1000}), p, 2020)
    assert r["regularisation_centimes"].to_list() == [-1000]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 5_000_000),
            st.integers(-100_000, 5_000_000),
            st.integers(0, 1_000_000),
            st.integers(0, 2_000_000),
            st.booleans(),
        ),
        min_size=1,
        max_size=20,
    )
)
def test_the_aid_is_never_negative_and_regularisation_plus_acompte_is_the_aid(p_cas, declarations):
    lignes = [
        {
            "ps": f"{i:08d}",
            "honoraires_2019": h19,
            "honoraires_2020": h20,
            "ij_percues": ij,
            "acompte_verse": a,
        }
        | ({} if ok else {"est_conventionne": False})
        for i, (h19, h20, ij, a, ok) in enumerate(declarations)
    ]
    r = aide_perte_activite_covid(_declarants(*lignes), p_cas, 2020)
    assert (r["montant_centimes"] >= 0).all()
    assert (r["regularisation_centimes"] + r["acompte_verse"] == r["montant_centimes"]).all()
    assert (r["montant_centimes"] <= (r["perte_honoraires"].clip(lower_bound=0) + 1) // 2).all()  # rate 50 %
    lignes_r = lignes_regularisation(r, p_cas, 2020)
    assert lignes_r["montant_centimes"].sum() == r["regularisation_centimes"].sum()

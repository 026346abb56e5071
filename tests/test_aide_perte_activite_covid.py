"""The 2020 Covid activity-loss aid (DIPA, rules.md §8): the YAML cases written from the text, the model that
measures the fees of 16 March–30 May 2019 and 2020, and the errors (missing 2019, missing rate)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import hypothesis.strategies as st
import polars as pl
import pytest
import yaml
from hypothesis import given, settings
from lignes import ligne_prs

from flows.annual_run import ErreurRun, calculer_modeles
from flows.parametres_io import charger_parametres
from schemas.sources import TABLES
from transforms.paiements import justificatifs, lignes_ps
from transforms.rules.aide_perte_activite_covid import (
    DISPOSITIF,
    TauxManquant,
    aide_perte_activite_covid,
    lignes_regularisation,
)

CAS = yaml.safe_load((Path(__file__).parent / "rules" / "aide_perte_activite_covid.yaml").read_text("utf-8"))
TYPES = {
    "ps": pl.String,
    "date_installation": pl.Date,
    **{
        c: pl.Int64
        for c in (
            "nb_declarations",
            "acompte_verse",
            "aide_activite_partielle",
            "aide_fonds_solidarite",
            "ij_percues",
            "pfs_cat_cod",
            "specialite",
            "secteur",
            "cnv_cnv_cod",
            "exc_exc_nat",
            "honoraires_2019",
            "honoraires_2020",
        )
    },
}


@pytest.fixture(scope="module")
def avec_taux(ecrire_overlay):
    """The base parameters with the rates ``taux`` supplied through an overlay in ``dossier``."""
    return lambda dossier, taux: ecrire_overlay(
        dossier, "aide_perte_activite_covid", "taux_charges_fixes", date(2020, 3, 16), taux
    )


@pytest.fixture(scope="module")
def p_cas(tmp_path_factory, avec_taux):
    return avec_taux(tmp_path_factory.mktemp("overlay"), CAS["taux"])


def _declarants(*lignes: dict) -> pl.DataFrame:
    return pl.DataFrame([CAS["defaut"] | x for x in lignes], schema_overrides=TYPES)


@pytest.mark.parametrize("cas", CAS["cas"], ids=[c["nom"] for c in CAS["cas"]])
def test_rule_case(cas, p_cas):
    annee = cas.get("annee", 2020)
    r = aide_perte_activite_covid(_declarants(cas.get("declarant", {})), p_cas, annee)
    if cas["attendu"] is None:
        assert r.is_empty()
        assert lignes_regularisation(r, p_cas, annee).is_empty()
        return
    assert r.height == 1
    j = justificatifs(r).row(0, named=True) | r.row(0, named=True)
    for cle, attendu in cas["attendu"].items():
        assert j[cle] == attendu, f"{cle}: {j[cle]!r} != {attendu!r}"
    lignes = lignes_ps(lignes_regularisation(r, p_cas, annee), annee, DISPOSITIF)
    if "ligne" in cas:
        if cas["ligne"] is None:
            assert lignes.is_empty()
        else:
            assert lignes.height == 1
            ligne = lignes.row(0, named=True)
            assert {k: ligne[k] for k in cas["ligne"]} == cas["ligne"]
            assert (ligne["annee_reference"], ligne["annee_versement"]) == (2020, 2021)


def test_a_missing_rate_names_profession_specialty_and_sector(tmp_path, avec_taux):
    p = avec_taux(tmp_path, [{"pfs_cat_cod": 1, "specialite": 15, "secteur": None, "taux": 0.458}])
    declarants = _declarants({"ps": "1"}, {"ps": "2", "pfs_cat_cod": 6, "specialite": 24}, {"ps": "3"})
    with pytest.raises(TauxManquant) as e:
        aide_perte_activite_covid(declarants, p, 2020)
    message = str(e.value)
    assert "profession (PFS_CAT_COD) 1, specialty 1, sector 1: 2 professional(s)" in message
    assert "profession (PFS_CAT_COD) 6, specialty 24, sector 1: 1 professional(s)" in message
    assert "overlay" in message


def test_a_declarant_who_is_not_owed_the_aid_needs_no_rate(tmp_path, avec_taux):
    p = avec_taux(tmp_path, [{"pfs_cat_cod": 1, "specialite": 15, "secteur": None, "taux": 0.458}])
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


# --- the model int_dipa on a lake written by hand (2019 and 2020) -------------------------------------------

A, A2, INF, C = "75100001", "75100002", "75600003", "75100004"  # A2: A's secondary cabinet; INF: a nurse


def _ecrire(dossier: Path, table: str, lignes: list[dict]) -> None:
    schema = {n: c.dtype.type for n, c in TABLES[table].modele.to_schema().columns.items()}
    pl.DataFrame(lignes, schema=schema).write_parquet(dossier / f"{table}.parquet")


def _ligne(cab, jour, nature=1111, montant=10000, dep=0, qlf=0, qte=1, maj=0):
    return ligne_prs(cab, jour, nature=nature, qte=qte, montant=montant, dep=dep, qlf=qlf, maj=maj)


def _lake(racine: Path, avec_2019: bool = True) -> Path:
    lake = racine / "lake"
    d = lake / "annee=2020"
    d.mkdir(parents=True)
    pra = {"CNV_CNV_COD": 1, "EXC_EXC_NAT": 1, "IPP_ANN_NAI": 1970, "PFS_EXC_COM": "056"}
    pra |= {"PFS_INS_DSD": date(2000, 1, 1), "PFS_CAT_COD": 1, "PFS_PRA_SPE": 1}
    _ecrire(
        d,
        "DA_PRA_R",
        [
            pra | {"PFS_PFS_NUM": A, "STA_PFS_NUM": A},
            pra | {"PFS_PFS_NUM": A2, "STA_PFS_NUM": A},
            pra | {"PFS_PFS_NUM": INF, "STA_PFS_NUM": INF, "PFS_CAT_COD": 6, "PFS_PRA_SPE": 24},
            pra | {"PFS_PFS_NUM": C, "STA_PFS_NUM": C},
        ],
    )
    montants = {"ACOMPTE_VERSE": 100000, "AIDE_ACTIVITE_PARTIELLE": 0, "AIDE_FONDS_SOLIDARITE": 0}
    _ecrire(
        d,
        "DIPA_DECLARATIONS",
        [
            montants | {"PFS_PFS_NUM": A2, "IJ_PERCUES": 0, "PART_SUBSTANTIELLE": True},  # on his 2nd cabinet
            montants | {"PFS_PFS_NUM": INF, "IJ_PERCUES": 500, "PART_SUBSTANTIELLE": True},
        ],
    )
    for an, facteur in ((2019, 1), (2020, 2)):
        lignes = [
            _ligne(A, date(an, 3, 15), montant=1 * facteur),  # the day before the period: out
            _ligne(A, date(an, 3, 16), montant=10 * facteur),  # first day: in
            _ligne(A2, date(an, 4, 1), montant=100 * facteur),  # secondary cabinet: counts for A
            _ligne(
                A, date(an, 5, 30), montant=1000 * facteur, dep=500 * facteur
            ),  # last day, dépassement off
            _ligne(A, date(an, 5, 31), montant=3 * facteur),  # the day after: out
            _ligne(A, date(an, 4, 2), montant=7 * facteur, qlf=71),  # "pour information": out
            _ligne(A, date(an, 4, 3), montant=-10 * facteur, qte=-1),  # a cancellation: netted
            _ligne(A, date(an, 4, 4), nature=1125, montant=20 * facteur, maj=2),  # majoration (nature 1): in
            _ligne(A, date(an, 4, 5), nature=3111, montant=5 * facteur),  # nurse-act nature: not a doctor's
            _ligne(INF, date(an, 4, 6), nature=3111, montant=30 * facteur),  # the nurse's own fees
            _ligne(C, date(an, 4, 7), montant=40 * facteur),  # no declaration: not evaluated
        ]
        if an == 2019 and not avec_2019:
            continue
        (lake / f"annee={an}").mkdir(exist_ok=True)
        _ecrire(lake / f"annee={an}", "ER_PRS_F", lignes)
    return lake


@pytest.fixture(scope="module")
def int_dipa(tmp_path_factory) -> dict[str, dict]:
    racine = tmp_path_factory.mktemp("dipa")
    sorties = calculer_modeles(_lake(racine), 2020, charger_parametres(), racine / "run", memoire="1GB")
    return {r["ps"]: r for r in pl.read_parquet(sorties["int_dipa"]).iter_rows(named=True)}


def test_only_declarants_are_evaluated_and_cabinets_group_to_the_professional(int_dipa):
    assert set(int_dipa) == {A, INF}
    assert int_dipa[A]["acompte_verse"] == 100000


def test_fees_of_16_march_to_30_may_without_depassement(int_dipa):
    # 10 (16/03) + 100 (secondary cabinet) + (1000 − 500) (30/05) − 10 (cancellation) + 20 (majoration)
    assert int_dipa[A]["honoraires_2019"] == 620
    assert int_dipa[A]["honoraires_2020"] == 1240


def test_a_nurse_is_measured_on_her_profession_fees(int_dipa):
    assert (int_dipa[INF]["pfs_cat_cod"], int_dipa[INF]["honoraires_2019"]) == (6, 30)
    assert int_dipa[INF]["ij_percues"] == 500


def test_without_2019_in_the_lake_the_run_of_2020_stops_and_says_what_to_ingest(tmp_path):
    lake = _lake(tmp_path, avec_2019=False)
    with pytest.raises(
        ErreurRun, match=r"aide_perte_activite_covid of 2020 needs the claims of 2019.*ingest"
    ):
        calculer_modeles(lake, 2020, charger_parametres(), tmp_path / "run", memoire="1GB")

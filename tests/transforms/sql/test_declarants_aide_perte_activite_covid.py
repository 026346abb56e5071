"""The model declarants_aide_perte_activite_covid (rules.md §8) on a lake written by hand (2019 and 2020):
the fees of 16 March–30 May of each year, per declaring professional; and a run of 2020 without 2019 in the
lake."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest
from lignes import ligne_prs

from flows.erreurs import ErreurRun
from flows.modeles import calculer_modeles
from flows.parametres_io import charger_parametres
from flows.reglages import Reglages
from schemas.sources import TABLES

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
def declarants(tmp_path_factory) -> dict[str, dict]:
    racine = tmp_path_factory.mktemp("dipa")
    reglages = Reglages(_lake(racine), memoire="1GB")
    sorties = calculer_modeles(reglages, 2020, charger_parametres(), racine / "run")
    modele = pl.read_parquet(sorties["declarants_aide_perte_activite_covid"])
    return {r["ps"]: r for r in modele.iter_rows(named=True)}


def test_only_declarants_are_evaluated_and_cabinets_group_to_the_professional(declarants):
    assert set(declarants) == {A, INF}
    assert declarants[A]["acompte_verse"] == 100000


def test_fees_of_16_march_to_30_may_without_depassement(declarants):
    # 10 (16/03) + 100 (secondary cabinet) + (1000 − 500) (30/05) − 10 (cancellation) + 20 (majoration)
    assert declarants[A]["honoraires_2019"] == 620
    assert declarants[A]["honoraires_2020"] == 1240


def test_a_nurse_is_measured_on_her_profession_fees(declarants):
    assert (declarants[INF]["pfs_cat_cod"], declarants[INF]["honoraires_2019"]) == (6, 30)
    assert declarants[INF]["ij_percues"] == 500


def test_without_2019_in_the_lake_the_run_of_2020_stops_and_says_what_to_ingest(tmp_path):
    lake = _lake(tmp_path, avec_2019=False)
    with pytest.raises(
        ErreurRun, match=r"aide_perte_activite_covid of 2020 needs the claims of 2019.*ingest"
    ):
        calculer_modeles(Reglages(lake, memoire="1GB"), 2020, charger_parametres(), tmp_path / "run")

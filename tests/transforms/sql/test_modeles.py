"""The DuckDB models on given rows, expected rows out (rules.md §0 and §1).

A tiny lake is written by hand: one GP with a main and a secondary cabinet, a cancellation, a "pour
information" line, a majoration, an AME act, a CCAM act, and médecin-traitant declarations that start, end and
die around 31/12/N.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import pytest
from lignes import ligne_prs

from flows.modeles import calculer_modeles
from flows.parametres_io import charger_parametres
from flows.reglages import Reglages
from schemas.sources import TABLES
from transforms.modeles import catalogue, tables_lues, variables
from transforms.rules.forfait_medecin_traitant import forfait_medecin_traitant

N = 2025
P = charger_parametres()
A, A2, B, C = "75100001", "75100002", "23100003", "13100004"  # A2 is A's secondary cabinet


def _nir(i: int) -> str:
    return f"{i:017d}"


def _ecrire(dossier, table: str, lignes: list[dict]) -> None:
    schema = {n: c.dtype.type for n, c in TABLES[table].modele.to_schema().columns.items()}
    pl.DataFrame(lignes, schema=schema).write_parquet(dossier / f"{table}.parquet")


def _acte(
    cab, patient, nature=1111, qte=1, montant=2650, dep=0, qlf=0, maj=0, rgm=110, jour=date(N, 3, 1), rang=1
):
    return ligne_prs(cab, jour, _nir(patient), rang, nature, qte, montant, dep, qlf, maj, rgm)


def _mt(cab, patient, debut=date(2019, 1, 1), fin=None, rang=1):
    return {
        "BEN_NIR_PSA": _nir(patient),
        "BEN_RNG_GEM": rang,
        "MTT_PFS_NUM": cab,
        "MTT_DEP_DTE": debut,
        "MTT_FIN_DTE": fin,
    }


@pytest.fixture(scope="module")
def lake_sql(tmp_path_factory) -> Path:
    lake = tmp_path_factory.mktemp("lake")
    d = lake / f"annee={N}"
    d.mkdir()
    (lake / f"annee={N - 1}").mkdir()  # N − 1 with no claim (the forfait médecin traitant of 2026 reads it)
    _ecrire(lake / f"annee={N - 1}", "ER_PRS_F", [])
    cab = {"PFS_CAT_COD": 1, "PFS_PRA_SPE": 1, "CNV_CNV_COD": 1, "EXC_EXC_NAT": 1, "IPP_ANN_NAI": 1970}
    ins = {"PFS_INS_DSD": date(2000, 1, 1)}
    _ecrire(
        d,
        "DA_PRA_R",
        [
            cab | {"PFS_PFS_NUM": A, "STA_PFS_NUM": A, "PFS_EXC_COM": "056"} | ins,
            cab | {"PFS_PFS_NUM": A2, "STA_PFS_NUM": A, "PFS_EXC_COM": "113"} | ins,
            cab | {"PFS_PFS_NUM": B, "STA_PFS_NUM": B, "PFS_EXC_COM": "096"} | ins,
            cab | {"PFS_PFS_NUM": C, "STA_PFS_NUM": C, "PFS_EXC_COM": "055", "PFS_PRA_SPE": 3} | ins,
        ],
    )
    _ecrire(
        d,
        "ER_PRS_F",
        [
            _acte(A, 1),
            _acte(A, 1, qte=-1, montant=-2650),  # cancellation of patient 1's act: netted to 0
            _acte(A2, 2),  # secondary cabinet: counts for A
            _acte(A, 3, qlf=71),  # "pour information": not care
            _acte(A, 2, maj=2, montant=500),  # majoration line: fees but not an act
            _acte(A, 4, rgm=95),  # AME act
            _acte(A, 5, nature=1352, montant=10000, dep=2000),  # CCAM act with a dépassement
            _acte(A, 6, nature=3111),  # nurse-act nature: never a medical act
            _acte(B, 7, jour=date(N - 1, 12, 31)),  # line of another year: out of the period
            _acte(C, 8, rang=1),  # twins: one NIR, two birth ranks, two patients
            _acte(C, 8, rang=2),
        ],
    )
    _ecrire(
        d,
        "IR_MTT_R",
        [
            _mt(A2, 1),  # declared on the secondary cabinet: A's patient
            _mt(A, 10),  # dead during N: excluded
            _mt(A, 11, fin=date(N, 12, 30)),  # ended before 31/12: excluded
            _mt(A, 12, fin=date(N, 12, 31)),  # ends on 31/12 (last day covered): included
            _mt(A, 13, debut=date(N + 1, 1, 1)),  # starts after 31/12: excluded
            _mt(A, 14),  # alive (1600 stored as null)
            _mt(A, 1, debut=date(2020, 1, 1)),  # the same patient twice: counted once
            _mt(C, 8, rang=1),  # twins: two patients
            _mt(C, 8, rang=2),
        ],
    )
    ben = {"BEN_RNG_GEM": 1, "BEN_NAI_ANN": 1950, "BEN_SEX_COD": 1, "BEN_DCD_DTE": None}
    _ecrire(
        d,
        "IR_BEN_R",
        [ben | {"BEN_NIR_PSA": _nir(i)} for i in (1, 11, 12, 13, 14)]
        + [ben | {"BEN_NIR_PSA": _nir(10), "BEN_DCD_DTE": date(N, 6, 1)}]
        + [ben | {"BEN_NIR_PSA": _nir(8), "BEN_RNG_GEM": r} for r in (1, 2)],
    )
    return lake


@pytest.fixture(scope="module")
def sorties_sql(lake_sql, tmp_path_factory) -> dict[str, Path]:
    return calculer_modeles(Reglages(lake_sql, memoire="1GB"), N, P, tmp_path_factory.mktemp("run"))


@pytest.fixture(scope="module")
def activite(sorties_sql) -> dict[str, dict]:
    return {r["ps"]: r for r in pl.read_parquet(sorties_sql["activite_medecins"]).iter_rows(named=True)}


def test_reference_year_percentiles_equal_the_full_run(lake_sql, sorties_sql, tmp_path):
    """Asked for its percentiles only (the reference year), the run skips the claims of GPs, whose value is
    their patientèle MT, yet gives the percentiles of the full run: GP (A) and non-GP (C) rows alike."""
    seules = calculer_modeles(Reglages(lake_sql, memoire="1GB"), N, P, tmp_path, sorties=("percentiles",))
    assert set(seules) == {"percentiles"}
    attendu = pl.read_parquet(sorties_sql["percentiles"])
    assert set(attendu["specialite"]) == {1, 3}
    assert pl.read_parquet(seules["percentiles"]).equals(attendu)


def test_secondary_cabinets_are_one_doctor(activite):
    assert set(activite) == {A, B, C}
    assert activite[A]["commune"] == "75056"  # the main cabinet's commune


def test_cancellations_are_netted_and_information_lines_dropped(activite):
    # patient 1: 1 − 1 = 0; patient 2 (secondary cabinet) 1; patient 4 (AME) 1; patient 5 (CCAM) 1
    assert activite[A]["nb_actes"] == 3
    assert activite[A]["file_active"] == 3  # patient 1 nets to 0 acts: not in the file active


def test_ame_acts_and_fees_without_depassement(activite):
    assert activite[A]["nb_actes_ame"] == 1
    # fees without dépassement on valid lines: 2650 − 2650 + 2650 + 500 + 2650 + (10000 − 2000) + 2650
    assert activite[A]["honoraires_sans_depassement_centimes"] == 16450
    assert activite[A]["honoraires_ccam_centimes"] == 8000


def test_lines_of_another_year_are_outside_the_period(activite):
    assert activite[B]["nb_actes"] == 0


def test_a_patient_is_a_nir_and_a_birth_rank(activite):
    """Twins share BEN_NIR_PSA and differ by BEN_RNG_GEM: two patients in the file active and patientèle."""
    assert activite[C]["file_active"] == 2
    assert activite[C]["patientele_mt"] == 2


def test_patientele_mt_at_31_12(activite):
    # patients 1 (twice, once on the secondary cabinet), 12 (ends on 31/12), 14; not 10 (dead), 11, 13
    assert activite[A]["patientele_mt"] == 3


@pytest.mark.parametrize(
    "percentile, seuil",
    [(30, 3), (50, 5), (70, 7), (90, 9), (95, 10)],
)
def test_percentiles_are_nearest_rank_values(percentile, seuil):
    """P30 of 1..10 is 3: the smallest value whose cumulative share reaches 30 % (rules.md §1)."""
    con = duckdb.connect()
    for nom, v in variables(P, N).items():
        con.execute("SET VARIABLE " + nom + " = ?", [v])
    activite_medecins = pl.DataFrame(  # noqa: F841 (read by name below)
        {
            "specialite": [1] * 11,
            "est_dans_champ": [True] * 11,
            "est_generaliste": [True] * 11,
            "patientele_mt": list(range(1, 11)) + [0],  # a GP with no patient is left out
            "file_active": [999] * 11,
        }
    )
    r = con.sql(catalogue()["percentiles"].texte).pl()
    ligne = r.filter(pl.col("percentile") == percentile).row(0, named=True)
    assert ligne["seuil"] == seuil
    assert ligne["nb_medecins"] == 10
    assert ligne["est_petite_specialite"]  # 10 < 11 doctors: flagged (statistical secrecy)


@pytest.fixture(scope="module")
def lake_fmt(tmp_path_factory) -> Path:
    """A lake of N = 2025 (paid in 2026: the grid with "not seen") for one GP, one patient per edge."""
    lake = tmp_path_factory.mktemp("lake_fmt")
    for an in (N - 1, N):
        (lake / f"annee={an}").mkdir()
    d = lake / f"annee={N}"
    cab = {"PFS_CAT_COD": 1, "PFS_PRA_SPE": 1, "CNV_CNV_COD": 1, "EXC_EXC_NAT": 1, "IPP_ANN_NAI": 1970}
    cab |= {"PFS_EXC_COM": "056", "PFS_INS_DSD": date(2000, 1, 1)}
    _ecrire(
        d,
        "DA_PRA_R",
        [cab | {"PFS_PFS_NUM": A, "STA_PFS_NUM": A}, cab | {"PFS_PFS_NUM": A2, "STA_PFS_NUM": A}],
    )
    # in N−1, A2 was B's cabinet: its acts of N−1 are B's (docs/decisions.md, "Acts go to their year's
    # doctor")
    _ecrire(
        lake / f"annee={N - 1}",
        "DA_PRA_R",
        [cab | {"PFS_PFS_NUM": A, "STA_PFS_NUM": A}, cab | {"PFS_PFS_NUM": A2, "STA_PFS_NUM": B}],
    )
    ages = {21: 6, 22: 7, 23: 74, 24: 75, 25: 79, 26: 80}  # patient → age reached in N
    ald = {
        31: (date(2020, 1, 1), date(N, 12, 31)),
        32: (date(2020, 1, 1), date(N, 12, 30)),
        33: (date(2020, 1, 1), None),
    }
    c2s = {
        41: (date(N, 1, 1), date(N, 12, 31)),
        42: (date(N, 1, 1), date(N, 12, 30)),
        54: (date(N, 1, 1), None),  # C2S at 31/12, never seen: "not seen" (5 €, no C2S supplement)
    }
    patients = [*ages, *ald, *c2s, 51, 52, 53, 55]
    naissance = {i: N - ages.get(i, 40) for i in patients} | {33: N - 80}
    _ecrire(d, "IR_MTT_R", [_mt(A, i) for i in patients])
    ben = {"BEN_RNG_GEM": 1, "BEN_SEX_COD": 1, "BEN_DCD_DTE": None}
    _ecrire(d, "IR_BEN_R", [ben | {"BEN_NIR_PSA": _nir(i), "BEN_NAI_ANN": naissance[i]} for i in patients])
    _ecrire(
        d,
        "IR_IMB_R",
        [
            {"BEN_NIR_PSA": _nir(i), "BEN_RNG_GEM": 1, "IMB_ALD_NUM": 8, "IMB_ALD_DTD": a, "IMB_ALD_DTF": b}
            for i, (a, b) in ald.items()
        ],
    )
    _ecrire(
        d,
        "IR_ORC_R",
        [
            {"BEN_NIR_PSA": _nir(i), "BEN_RNG_GEM": 1, "BEN_CTA_TYP": 89, "ORC_DEB_DTE": a, "ORC_FIN_DTE": b}
            for i, (a, b) in c2s.items()
        ],
    )
    vus_n = [i for i in patients if i not in (51, 52, 53, 54, 55)]
    _ecrire(
        d,
        "ER_PRS_F",
        [_acte(A, i) for i in vus_n]
        + [_acte(A, 53), _acte(A, 53, qte=-1, montant=-2650)],  # 53: seen then cancelled in N → net 0
    )
    # 51 seen in N−1 only; 55 seen in N−1 only, on A2 when it was B's: not by A
    _ecrire(
        lake / f"annee={N - 1}",
        "ER_PRS_F",
        [_acte(A, 51, jour=date(N - 1, 5, 1)), _acte(A2, 55, jour=date(N - 1, 5, 1))],
    )
    return lake


@pytest.fixture(scope="module")
def modeles_fmt(lake_fmt, tmp_path_factory) -> dict[str, pl.DataFrame]:
    sorties = calculer_modeles(Reglages(lake_fmt, memoire="1GB"), N, P, tmp_path_factory.mktemp("run_fmt"))
    return {m: pl.read_parquet(f) for m, f in sorties.items()}


@pytest.fixture(scope="module")
def categories(modeles_fmt) -> dict[str, tuple[int, int]]:
    df = modeles_fmt["categories_medecin_traitant"]
    assert df["ps"].unique().to_list() == [A]
    return {r["categorie"]: (r["nb_patients"], r["nb_patients_c2s"]) for r in df.iter_rows(named=True)}


def test_fmt_categories_at_every_age_boundary_ald_c2s_and_not_seen(categories):
    # ages 6 | 7, 74 | 75, 79 | 80; ALD ending 31/12 counts, ending 30/12 does not; ALD at 80 → ald_80_plus;
    # C2S covering 31/12 counts (1 patient); 51 seen in N−1 only is "seen"; 52 never seen, 53 netted to 0
    # in N, 54 (C2S) never seen and 55 seen in N−1 on a cabinet then B's are "not seen", whatever their age.
    assert categories == {
        "age_moins_7": (1, 0),
        "age_7_74_sans_ald": (1 + 1 + 1 + 2 + 1, 1),  # 7, 74, ALD ended 30/12 (40), 2 C2S (40), 51 (40)
        "age_75_79_sans_ald": (2, 0),
        "age_80_plus_sans_ald": (1, 0),
        "ald_moins_80": (1, 0),
        "ald_80_plus": (1, 0),
        "non_vu": (4, 1),
    }


def test_fmt_not_seen_c2s_patient_gets_no_supplement_through_the_models(modeles_fmt):
    """rules.md §7, Decision: of the two C2S patients at 31/12 (41 seen, 54 not seen), only 41 brings the
    +10 € supplement of the 2026 grid; 54 brings the flat 5 € of "not seen"."""
    r = forfait_medecin_traitant(
        modeles_fmt["activite_medecins"], modeles_fmt["categories_medecin_traitant"], P, N
    )
    x = r.filter(pl.col("ps") == A).row(0, named=True)
    grille = P.a("forfait_medecin_traitant", "grille_centimes", date(N + 1, 1, 1))
    assert (x["nb_patients_c2s"], x["nb_patients_c2s_supplement"]) == (2, 1)
    assert x["supplement_c2s_centimes"] == grille["supplement_c2s"]
    assert x["nb_non_vu"] == 4 and x["socle_centimes"] == sum(
        x[f"nb_{c}"] * grille[c] for c in grille if c != "supplement_c2s"
    )


def test_a_model_names_the_lake_tables_it_reads():
    """The benchmark's rows/s per model counts the rows of the lake tables its SQL reads."""
    assert tables_lues("int_patients_vus") == ["DA_PRA_R", "ER_PRS_F"]  # through the staging views it reads
    assert tables_lues("int_activite") == ["DA_PRA_R", "ER_PRS_F"]
    # the claims of N and N−1 through the kept int_patients_vus, not again
    assert tables_lues("categories_medecin_traitant") == ["IR_IMB_R", "IR_ORC_R"]
    assert tables_lues("percentiles") == []  # reads only other models

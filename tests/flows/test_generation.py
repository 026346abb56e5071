"""The generator: deterministic for a seed, consistent across tables and years, boundary cases planted."""

from __future__ import annotations

import gzip
import os
import threading

import duckdb
import polars as pl
import pytest

import flows.generation as generation
from flows.generation import _ecrire_csv_gzip, generer
from flows.parametres_io import charger_parametres


@pytest.fixture(scope="module")
def extraits(tmp_path_factory):
    out = tmp_path_factory.mktemp("gen")
    generer(
        out / "a",
        [2021, 2025],
        0.001,
        3,
        "parquet",
        charger_parametres(),
        memoire="2GB",
        progression=lambda m: None,
    )
    generer(
        out / "b",
        [2025],
        0.001,
        3,
        "parquet",
        charger_parametres(),
        memoire="2GB",
        progression=lambda m: None,
    )
    return out


def lire(extraits, annee, table, run="a"):
    return pl.read_parquet(extraits / run / str(annee) / f"{table}.parquet")


def test_same_seed_same_rows(extraits):
    # same rows for the same seed; the order of rows may differ where DuckDB writes in parallel
    for f in (extraits / "a" / "2025").glob("*.parquet"):
        a, b = pl.read_parquet(f), pl.read_parquet(extraits / "b" / "2025" / f.name)
        assert a.sort(a.columns, nulls_last=True).equals(b.sort(b.columns, nulls_last=True)), f.name


def test_claims_and_declarations_name_known_cabinets(extraits):
    cab = lire(extraits, 2025, "DA_PRA_R")
    assert cab["PFS_PFS_NUM"].is_unique().all()
    assert cab["STA_PFS_NUM"].is_in(cab["PFS_PFS_NUM"].implode()).all()
    prs = lire(extraits, 2025, "ER_PRS_F")
    assert prs["PFS_EXE_NUM"].is_in(cab["PFS_PFS_NUM"].implode()).all()
    assert (prs["EXE_SOI_DTD"].dt.year() == 2025).all()
    mtt = lire(extraits, 2025, "IR_MTT_R")
    assert mtt["MTT_PFS_NUM"].is_in(cab["PFS_PFS_NUM"].implode()).all()


def test_same_doctors_and_patients_from_year_to_year(extraits):
    d21 = set(lire(extraits, 2021, "DA_PRA_R")["PFS_PFS_NUM"])
    d25 = set(lire(extraits, 2025, "DA_PRA_R")["PFS_PFS_NUM"])
    assert d21 <= d25  # practitioners never stop; some install after 2021
    p21 = lire(extraits, 2021, "IR_BEN_R").select("BEN_NIR_PSA", "BEN_RNG_GEM", "BEN_NAI_ANN")
    p25 = lire(extraits, 2025, "IR_BEN_R").select("BEN_NIR_PSA", "BEN_RNG_GEM", "BEN_NAI_ANN")
    assert p21.join(p25, on=["BEN_NIR_PSA", "BEN_RNG_GEM"], how="anti").is_empty()
    assert (
        p21.join(p25, on=["BEN_NIR_PSA", "BEN_RNG_GEM"])
        .filter(pl.col("BEN_NAI_ANN") != pl.col("BEN_NAI_ANN_right"))
        .is_empty()
    )


def test_cancellations_information_lines_and_ame_occur(extraits):
    prs = lire(extraits, 2025, "ER_PRS_F")
    assert (prs["PRS_ACT_QTE"] < 0).sum() > 0
    assert (prs["PRS_PAI_MNT"].cast(pl.Float64) < 0).sum() == (prs["PRS_ACT_QTE"] < 0).sum()
    assert (prs["DPN_QLF"] == 71).sum() > 0
    assert prs["RGM_COD"].is_in([95, 96]).sum() > 0
    assert (prs["CPL_MAJ_TOP"] == 2).sum() > 0


def test_boundary_cases_are_planted(extraits):
    prs = lire(extraits, 2025, "ER_PRS_F")
    exact = prs.filter(pl.col("PFS_EXE_NUM") == "75190001")
    assert exact.height == 100 and exact["RGM_COD"].is_in([95, 96]).sum() == 2  # exactly 2 % AME
    ori = lire(extraits, 2025, "ORIENTATIONS_IPA")
    nb = ori.group_by("PFS_PFS_NUM").agg(pl.col("BEN_NIR_PSA").n_unique().alias("n"))
    for num, n in zip(range(90010, 90016), [9, 10, 34, 35, 99, 100], strict=True):
        assert nb.filter(pl.col("PFS_PFS_NUM") == f"751{num}")["n"].to_list() == [n]
    ctr = lire(extraits, 2025, "CONTRATS_AAM")
    assert {1503, 1721} <= set(ctr["PAT_INI"].to_list())
    assert (
        ctr.filter(
            (pl.col("CTR_OPT") == "TIERS_TEMPS") & (pl.col("CTR_SIG_DTE") >= pl.date(2023, 5, 1))
        ).height
        == 1
    )
    cpts = lire(extraits, 2025, "CPTS_CONTRATS")
    assert {39999, 40000, 80000, 80001, 175000, 175001} <= set(cpts["POPULATION"].to_list())


def test_dipa_declarations_only_in_2020(extraits):
    assert lire(extraits, 2025, "DIPA_DECLARATIONS").is_empty()


def _sans_attente(f, secondes=60):
    """Run ``f`` in a thread and return what it raised (None): a writer and a reader left waiting on each
    other would hang the suite, so the test fails instead after ``secondes``."""
    issue = {}

    def cible():
        try:
            f()
        except Exception as e:  # noqa: BLE001 - the test inspects it
            issue["erreur"] = e

    fil = threading.Thread(target=cible, daemon=True)
    fil.start()
    fil.join(secondes)
    assert not fil.is_alive(), "the CSV writer is still waiting"
    return issue.get("erreur")


def test_a_csv_table_is_the_text_duckdb_writes_gzipped(tmp_path):
    """The pipe and Python's gzip change how the file is compressed, not its text: separators and quotes
    inside a field, an empty value, dates DD/MM/YYYY, amounts with two decimals, 300 000 rows (several
    blocks of the pipe)."""
    con = duckdb.connect()
    rel = con.sql(
        "SELECT i, CASE WHEN i % 7 = 0 THEN NULL ELSE 'a;b \"c\" ' || i END AS texte, "
        "DATE '2025-01-01' + (i % 365)::INTEGER AS jour, (i / 100)::DECIMAL(12, 2) AS montant "
        "FROM range(300000) t(i)"
    )
    _ecrire_csv_gzip(rel, tmp_path / "t.csv.gz")
    rel.write_csv(str(tmp_path / "t.csv"), sep=";", header=True, date_format="%d/%m/%Y")
    texte = gzip.decompress((tmp_path / "t.csv.gz").read_bytes())
    assert texte == (tmp_path / "t.csv").read_bytes()
    assert texte.splitlines()[1] == b"0;;01/01/2025;0.00"


def test_a_query_that_fails_while_written_raises_without_waiting(tmp_path):
    rel = duckdb.connect().sql(
        "SELECT CASE WHEN i < 500000 THEN i ELSE error('no such row') END AS i FROM range(1000000) t(i)"
    )
    erreur = _sans_attente(lambda: _ecrire_csv_gzip(rel, tmp_path / "t.csv.gz"))
    assert isinstance(erreur, duckdb.Error) and "no such row" in str(erreur)


def test_a_compression_that_stops_raises_its_own_error_without_waiting(tmp_path, monkeypatch):
    def disque_plein(lecture, gz):
        with open(lecture, "rb") as texte:
            texte.read(1 << 16)
            raise OSError(28, os.strerror(28))

    monkeypatch.setattr(generation, "_compresser", disque_plein)
    rel = duckdb.connect().sql("SELECT i, 'ligne ' || i AS t FROM range(2000000) t(i)")
    erreur = _sans_attente(lambda: _ecrire_csv_gzip(rel, tmp_path / "t.csv.gz"))
    assert isinstance(erreur, OSError) and erreur.errno == 28

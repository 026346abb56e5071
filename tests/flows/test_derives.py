"""What the lake keeps beside a year (the patients each doctor saw, ``int_patients_vus``, flows/modeles.py):
the models read from it give what the claims themselves give, computed here again in polars from the raw lake
tables; the run of N reads the one the run of N−1 kept; a re-ingested year removes what was derived from it,
and the next run derives it again from the new claims."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from flows.ingest import ingerer
from flows.modeles import borne_lecture, calculer_modeles, cle_gardee
from flows.parametres_io import OVERLAY_ILLUSTRATIF, charger_parametres
from flows.reglages import Reglages
from transforms.modeles import catalogue, variables

P = charger_parametres(overlay=OVERLAY_ILLUSTRATIF)
N = 2025  # the grid of 2026 counts the patients not seen in N−1 nor N
GARDE = "int_patients_vus"
SORTIES = ("activite_medecins", "categories_medecin_traitant")
NATURES = Path(__file__).resolve().parents[2] / "data" / "reference" / "nomenclatures" / "IR_NAT_V.csv"


def _modeles(lake: Path, annee: int, travail: Path, journal: list[str]) -> dict[str, pl.DataFrame]:
    sorties = calculer_modeles(
        Reglages(lake, memoire="1GB", journal=journal.append), annee, P, travail, SORTIES
    )
    return {m: pl.read_parquet(f) for m, f in sorties.items()}


def _gardes(lake: Path, annee: int) -> list[Path]:
    return sorted((lake / "derives" / GARDE).glob(f"annee={annee}-*.parquet"))


def _relu(journal: list[str], annee: int) -> bool:
    return any(f"{GARDE} of {annee} read back from the lake" in ligne for ligne in journal)


def _calcule(journal: list[str], annee: int) -> bool:
    return any(f"{GARDE} of the claims of {annee} (kept in the lake): done" in ligne for ligne in journal)


def _reference(lake: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Activity per doctor and patients not seen per doctor, straight from the lake's claims of N−1 and N."""
    v = variables(P, N)
    natures = pl.read_csv(NATURES, separator=";", infer_schema=False).select(
        pl.col("PRS_NAT").cast(pl.Int64), pl.col("PRS_NAT_RGT").cast(pl.Int64, strict=False)
    )

    def cabinets(annee: int) -> pl.DataFrame:  # a year's acts go to the doctor its own DA_PRA_R names
        return pl.read_parquet(lake / f"annee={annee}" / "DA_PRA_R.parquet").select(
            pl.col("PFS_PFS_NUM").alias("PFS_EXE_NUM"), pl.col("STA_PFS_NUM").alias("ps")
        )

    def lignes(annee: int) -> pl.DataFrame:
        return (
            pl.read_parquet(lake / f"annee={annee}" / "ER_PRS_F.parquet")
            .filter(pl.col("DPN_QLF") != v["dpn_info"])
            .join(cabinets(annee), on="PFS_EXE_NUM")
            .join(natures, left_on="PRS_NAT_REF", right_on="PRS_NAT", how="left")
            .with_columns(
                est_acte=(pl.col("CPL_MAJ_TOP") <= v["cpl_max"])
                & pl.col("PRS_NAT_RGT").is_in(v["nat_rgt_actes"]).fill_null(False),
                honoraires=pl.col("PRS_PAI_MNT") - pl.col("PRS_DEP_MNT"),
            )
        )

    patient = ["ps", "BEN_NIR_PSA", "BEN_RNG_GEM"]
    n = lignes(N).filter(pl.col("EXE_SOI_DTD").dt.year() == N)
    par_patient = n.group_by(patient).agg(
        pl.col("PRS_ACT_QTE").filter("est_acte").sum().alias("actes"),
        pl.col("PRS_ACT_QTE")
        .filter(pl.col("est_acte") & pl.col("RGM_COD").is_in(v["rgm_ame"]))
        .sum()
        .alias("ame"),
        pl.col("honoraires").sum(),
        pl.col("honoraires")
        .filter(pl.col("PRS_NAT_RGT").is_in(v["nat_rgt_ccam"]).fill_null(False))
        .sum()
        .alias("ccam"),
    )
    activite = par_patient.group_by("ps").agg(
        pl.col("actes").sum().alias("nb_actes"),
        pl.col("ame").sum().alias("nb_actes_ame"),
        pl.col("honoraires").sum().alias("honoraires_sans_depassement_centimes"),
        pl.col("ccam").sum().alias("honoraires_ccam_centimes"),
        (pl.col("actes") > 0).sum().cast(pl.Int64).alias("file_active"),
    )
    vus = (
        pl.concat([lignes(N - 1), lignes(N)])
        .filter(pl.col("est_acte") & pl.col("EXE_SOI_DTD").dt.year().is_between(N - 1, N))
        .group_by([*patient, pl.col("EXE_SOI_DTD").dt.year().alias("an")])
        .agg(pl.col("PRS_ACT_QTE").sum())
        .filter(pl.col("PRS_ACT_QTE") > 0)
        .select(patient)
        .unique()
    )
    fin = date(N, 12, 31)
    mt = (
        pl.read_parquet(lake / f"annee={N}" / "IR_MTT_R.parquet")
        .filter(
            (pl.col("MTT_DEP_DTE") <= fin)
            & (pl.col("MTT_FIN_DTE").is_null() | (pl.col("MTT_FIN_DTE") >= fin))
        )
        .join(cabinets(N).rename({"PFS_EXE_NUM": "MTT_PFS_NUM"}), on="MTT_PFS_NUM")
        .join(
            pl.read_parquet(
                lake / f"annee={N}" / "IR_BEN_R.parquet",
                columns=["BEN_NIR_PSA", "BEN_RNG_GEM", "BEN_DCD_DTE"],
            ),
            on=["BEN_NIR_PSA", "BEN_RNG_GEM"],
            how="left",
        )
        .filter(pl.col("BEN_DCD_DTE").is_null() | (pl.col("BEN_DCD_DTE") > fin))
        .select(patient)
        .unique()
    )
    non_vus = (
        mt.join(vus, on=patient, how="anti").group_by("ps").agg(pl.len().cast(pl.Int64).alias("non_vus"))
    )
    return activite, non_vus


def _comparer(modeles: dict[str, pl.DataFrame], lake: Path) -> None:
    activite, non_vus = _reference(lake)
    cols = list(activite.columns)
    vus = modeles["activite_medecins"].select(cols).join(activite.select("ps"), on="ps", how="semi")
    assert (
        vus.sort("ps").cast(pl.Int64, strict=False).equals(activite.sort("ps").cast(pl.Int64, strict=False))
    )
    sans_ligne = modeles["activite_medecins"].join(activite.select("ps"), on="ps", how="anti")
    assert (sans_ligne["file_active"] == 0).all() and (sans_ligne["nb_actes"] == 0).all()
    categories = (
        modeles["categories_medecin_traitant"]
        .filter(pl.col("categorie") == "non_vu")
        .select("ps", pl.col("nb_patients").cast(pl.Int64).alias("non_vus"))
    )
    assert non_vus.height > 0
    assert categories.sort("ps").equals(non_vus.sort("ps"))


@pytest.fixture(scope="module")
def lake(tmp_path_factory, extraits_minuscules) -> Path:
    d = tmp_path_factory.mktemp("derives") / "lake"
    for annee in (N - 1, N):
        ingerer(extraits_minuscules / str(annee), annee, d, memoire="1GB")
    return d


def test_the_run_of_n_reads_the_netted_claims_the_run_of_n_minus_1_kept(lake, tmp_path):
    avant, apres = [], []
    _modeles(lake, N - 1, tmp_path / "a", avant)  # the run of 2024 keeps its netted claims
    assert _calcule(avant, N - 1) and len(_gardes(lake, N - 1)) == 1
    modeles = _modeles(lake, N, tmp_path / "b", apres)
    assert _relu(apres, N - 1) and not _calcule(apres, N - 1)  # N−1's claims are not read again
    assert _calcule(apres, N) and len(_gardes(lake, N)) == 1
    _comparer(modeles, lake)


def test_kept_tables_give_what_recomputing_them_gives(lake, tmp_path):
    _modeles(lake, N, tmp_path / "0", [])
    journal: list[str] = []
    gardes = _modeles(lake, N, tmp_path / "a", journal)
    assert _relu(journal, N - 1) and _relu(journal, N)
    shutil.rmtree(lake / "derives")
    recalcul: list[str] = []
    recalcules = _modeles(lake, N, tmp_path / "b", recalcul)
    assert _calcule(recalcul, N - 1) and _calcule(recalcul, N)
    for m in SORTIES:  # same rows (a model's rows come in no particular order)
        cle = list(catalogue()[m].cle)
        assert gardes[m].sort(cle).equals(recalcules[m].sort(cle)), m
    _comparer(recalcules, lake)


def test_the_key_of_a_kept_table_follows_what_it_reads_only(lake):
    """The netted claims of N−1 kept by the run of N−1 serve the run of N: the year's own dates do not enter
    their key; a code they filter on does, and so does the year of the claims."""
    v24, v25 = variables(P, N - 1), variables(P, N)
    assert cle_gardee(lake, GARDE, N - 1, v24) == cle_gardee(lake, GARDE, N - 1, v25)
    assert cle_gardee(lake, GARDE, N - 1, v25) != cle_gardee(lake, GARDE, N - 1, v25 | {"cpl_max": 2})
    assert cle_gardee(lake, GARDE, N - 1, v25) != cle_gardee(lake, GARDE, N, v25)


def test_a_re_ingested_year_invalidates_what_was_derived_from_it(tmp_path, extraits_minuscules):
    lake = tmp_path / "lake"
    for annee in (N - 1, N):
        ingerer(extraits_minuscules / str(annee), annee, lake, memoire="1GB")
    _modeles(lake, N, tmp_path / "a", [])
    anciens = _gardes(lake, N - 1)
    assert anciens
    # 2024 delivered again without the claims of its first half: fewer of 2025's patients were seen
    extrait = tmp_path / "2024"
    shutil.copytree(extraits_minuscules / str(N - 1), extrait)
    claims = next(extrait.glob("ER_PRS_F.*"))
    lignes = pl.read_csv(claims.read_bytes(), separator=";", infer_schema=False)
    moitie = lignes.filter(pl.col("EXE_SOI_DTD").str.slice(3, 2).cast(pl.Int64) > 6)  # dd/mm/yyyy
    assert 0 < moitie.height < lignes.height
    claims.unlink()
    moitie.write_csv(extrait / "ER_PRS_F.csv", separator=";")
    ingerer(extrait, N - 1, lake, memoire="1GB")
    assert not any(f.exists() for f in anciens)  # removed with the version they came from
    assert not list((lake / "derives").glob(f"*/annee={N - 1}[-.]*"))
    journal: list[str] = []
    modeles = _modeles(lake, N, tmp_path / "b", journal)
    assert _calcule(journal, N - 1)  # derived again, from the new claims
    _comparer(modeles, lake)


def test_the_lower_bound_reads_exactly_the_columns_the_model_reads(lake, tmp_path):
    """make bench compares the heaviest model with DuckDB reading the columns its plan reads: for the pairs
    seen in a year, the patient, the cabinet and the seven claim columns it filters or sums on."""
    b = borne_lecture(Reglages(lake, memoire="1GB"), N, P, GARDE, tmp_path)
    assert b["colonnes"] == {
        "DA_PRA_R": ["PFS_PFS_NUM", "STA_PFS_NUM"],
        "ER_PRS_F": [
            "BEN_NIR_PSA",
            "BEN_RNG_GEM",
            "CPL_MAJ_TOP",
            "DPN_QLF",
            "EXE_SOI_DTD",
            "PFS_EXE_NUM",
            "PRS_ACT_QTE",
            "PRS_NAT_REF",
        ],
    }
    lignes = sum(
        pl.scan_parquet(lake / f"annee={N}" / f"{t}.parquet").select(pl.len()).collect().item()
        for t in b["colonnes"]
    )
    assert b["lignes"] == lignes and b["secondes"] > 0

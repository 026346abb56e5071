"""The validation engines read the same pandera model and must find the same defects.

Parquet tables are checked by the model compiled to polars expressions (transforms/validation_polars.py),
CSV tables in batches typed by the model's expressions and checked by its compiled checks
(``verificateur``), tables with dataframe-level checks by pandera in batches (transforms/validation.py).
Hypothesis corrupts cells of valid rows with tricky values and every engine must report the same (row,
column, check, value) set, and keep the same typed rows.
"""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flows.ingest import _codes
from schemas.sources import TABLES
from transforms.validation import COLONNES_DEFAUTS, Contexte, parser, schema_du_jour, traiter_lot
from transforms.validation_polars import (
    SEP_CHAMPS,
    SEP_DEFAUTS,
    compilable,
    defectueuses,
    plan,
    valides,
    verificateur,
)

CODES, CODES_SPE = _codes()
CTX = Contexte(annee=2025, codes=CODES, codes_specialite=CODES_SPE, cabinets=["75100001", "23100002"])

VALIDES = {
    "ER_PRS_F": {
        "BEN_NIR_PSA": "0123456789ABCDEF0",
        "BEN_RNG_GEM": "1",
        "EXE_SOI_DTD": "15/03/2025",
        "FLX_DIS_DTD": "01/04/2025",
        "PFS_EXE_NUM": "75100001",
        "PFS_PRE_NUM": "",
        "PSE_SPE_COD": "1",
        "PRS_NAT_REF": "1111",
        "CPL_MAJ_TOP": "0",
        "DPN_QLF": "0",
        "PRS_ACT_QTE": "-1",
        "PRS_PAI_MNT": "-26.50",
        "PRS_DEP_MNT": "0",
        "RGM_COD": "95",
    },
    "IR_MTT_R": {
        "BEN_NIR_PSA": "0123456789ABCDEF0",
        "BEN_RNG_GEM": "1",
        "MTT_PFS_NUM": "75100001",
        "MTT_DEP_DTE": "02/01/2019",
        "MTT_FIN_DTE": "01/01/1600",
    },
    "SAS_INSCRIPTIONS": {
        "PFS_PFS_NUM": "75100001",
        "INS_DEB_DTE": "01/01/2026",
        "INS_FIN_DTE": "",
        "AGENDA_VISIBLE": "true",
        "ORGA_TERRITORIALE": "0",
    },
    "CPTS_MISSIONS": {
        "CPTS_ID": "CPTS_X",
        "MISSION": "PARCOURS",
        "DEB_DTE": "01/07/2024",
        "TAUX_ATTEINTE": "0.5",
    },
}
PIEGES = [
    "", " ", "abc", "1.5", "1e3", "12.345", "-3", "7", "01", "2025", "31/02/2025", "01/01/1600", "15/06/2024",
    "31/12/2025", "1/1/2025", "99999999", "75100001", "0123456789ABCDEF", "true", "FALSE", "2", "1.0", "ZIP",
    "+7", " 7 ", "1_000", "0x10", "--1", "99999999999999999999", " 01/02/2025", "1.5 ", " -26.50", ".5", "5.",
]  # fmt: skip


def _moteur_pandera(brut: pl.DataFrame, schema) -> tuple[pl.DataFrame, pl.DataFrame]:
    valides, _, defauts = traiter_lot(brut, schema, 1, CTX)
    return valides, defauts


def _moteur_lots(brut: pl.DataFrame, schema) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The CSV ingest's: batches typed by the model's expressions, checked by its compiled checks."""
    valides, _, defauts = traiter_lot(brut, schema, 1, CTX, verificateur(schema))
    return valides, defauts


def _moteur_compile(brut: pl.DataFrame, schema, csv: bool = True) -> tuple[pl.DataFrame, pl.DataFrame]:
    p = plan(schema, CTX, dict(brut.schema), csv=csv)
    source = brut.lazy().with_row_index("__n", offset=1)
    quarantaine = defectueuses(source, p, "__n").collect()
    gardees = valides(source, p, "__n", quarantaine["ligne"]).collect()
    defauts = (
        quarantaine.select("ligne", pl.col("defauts").str.split(SEP_DEFAUTS))
        .explode("defauts")
        .select(
            "ligne",
            *[
                pl.col("defauts").str.split(SEP_CHAMPS).list.get(i).alias(nom)
                for i, nom in enumerate(["colonne", "controle", "valeur"])
            ],
        )
    )
    return gardees, defauts.cast(COLONNES_DEFAUTS)


def _ensemble(d: pl.DataFrame) -> set[tuple]:
    # an absent value (not_nullable) is null for pandera, empty text for the compiled engine
    return set(d.with_columns(pl.col("valeur").fill_null("")).iter_rows())


@pytest.mark.parametrize("table", sorted(VALIDES))
def test_the_model_compiles_to_polars(table):
    assert compilable(schema_du_jour(TABLES[table].modele, CTX))


def test_a_dataframe_level_check_keeps_pandera():
    assert not compilable(schema_du_jour(TABLES["DA_PRA_R"].modele, CTX))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
@pytest.mark.parametrize("table", sorted(VALIDES))
def test_both_engines_find_the_same_defects(table, data):
    schema = schema_du_jour(TABLES[table].modele, CTX)
    colonnes = list(VALIDES[table])
    n = data.draw(st.integers(1, 6))
    lignes = []
    for _ in range(n):
        ligne = dict(VALIDES[table])
        for col in data.draw(st.lists(st.sampled_from(colonnes), max_size=3, unique=True)):
            ligne[col] = data.draw(st.sampled_from(PIEGES))
        lignes.append(ligne)
    brut = pl.DataFrame(lignes, schema=dict.fromkeys(colonnes, pl.String))
    v_pa, d_pa = _moteur_pandera(brut, schema)
    v_pl, d_pl = _moteur_compile(brut, schema)
    v_lo, d_lo = _moteur_lots(brut, schema)
    assert _ensemble(d_pl) == _ensemble(d_pa)
    assert v_pl.equals(v_pa)
    assert d_lo.sort(d_lo.columns).equals(d_pa.sort(d_pa.columns))  # the very same rows, values included
    assert v_lo.equals(v_pa)


def test_typed_parquet_sources_are_checked_the_same_way():
    """A Parquet extract arrives typed: decimals in euros, dates as dates; checks still apply."""
    schema = schema_du_jour(TABLES["ER_PRS_F"].modele, CTX)
    brut = pl.DataFrame([VALIDES["ER_PRS_F"]] * 3).with_columns(
        pl.Series("EXE_SOI_DTD", [date(2025, 3, 15), date(2024, 12, 31), date(2025, 12, 31)]),
        pl.Series("FLX_DIS_DTD", [date(2025, 4, 1)] * 3),
        pl.Series("PRS_PAI_MNT", ["-26.50", "0.01", "1234567.89"]).cast(pl.Decimal(12, 2)),
        pl.Series("PRS_DEP_MNT", ["0", "0", "0"]).cast(pl.Decimal(12, 2)),
        *[pl.col(c).cast(pl.Int64) for c in ["BEN_RNG_GEM", "PSE_SPE_COD", "PRS_NAT_REF", "CPL_MAJ_TOP"]],
        *[pl.col(c).cast(pl.Int64) for c in ["DPN_QLF", "PRS_ACT_QTE", "RGM_COD"]],
    )
    gardees, defauts = _moteur_compile(brut, schema, csv=False)
    assert defauts.select("ligne", "colonne", "controle").rows() == [(2, "EXE_SOI_DTD", "dans l'année 2025")]
    assert gardees["PRS_PAI_MNT"].to_list() == [-2650, 123456789]
    assert gardees["PFS_PRE_NUM"].null_count() == 2  # an empty Parquet string is an absent value


@pytest.mark.parametrize("valeur", PIEGES + ["-0", '"7"', "9223372036854775807", "7 ", "\t7"])
def test_polars_reader_takes_an_integer_only_as_the_model_types_it(valeur):
    """The ingest lets polars' CSV reader parse integer columns (flows/ingest_tables.py, ``_entiers``);
    whatever it takes must be typed by the model to the same value, without a defect. What it refuses makes
    the ingest read the table again as text, so it may refuse more than the model does, never accept more."""
    csv = f"CPL_MAJ_TOP;X\n{valeur};x\n".encode()
    try:
        lu = pl.scan_csv(
            csv, separator=";", infer_schema=False, schema_overrides={"CPL_MAJ_TOP": pl.Int64}
        ).collect()
    except pl.exceptions.ComputeError:
        return  # refused: the table is read again as text
    texte = pl.read_csv(csv, separator=";", infer_schema=False)
    schema = schema_du_jour(TABLES["ER_PRS_F"].modele, CTX)
    type_, defauts = parser(texte.select("CPL_MAJ_TOP"), schema.select_columns(["CPL_MAJ_TOP"]), 1, CTX)
    assert defauts.is_empty()
    assert type_["CPL_MAJ_TOP"][0] == lu["CPL_MAJ_TOP"][0]

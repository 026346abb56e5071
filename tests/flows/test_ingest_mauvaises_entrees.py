"""Bad-input corpus: each defect of inputs.md « Bad input » and its documented outcome.

Row-level defects go to quarantine with their reason and the ingest goes on while the quarantined share stays
at or under the threshold; structural defects stop the ingest with a one-line reason; a failed ingest leaves
the published year untouched; patient identifiers never appear in messages or reports.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flows.generation import generer
from flows.ingest import ErreurIngest, ingerer
from flows.ingest_tables import _hache_repete
from flows.parametres_io import charger_parametres

ANNEE = 2025


@pytest.fixture(scope="session")
def extrait_sain(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("extraits")
    generer(out, [ANNEE], 0.001, 7, "csv", charger_parametres(), memoire="2GB", progression=lambda m: None)
    return out / str(ANNEE)


@pytest.fixture
def extrait(extrait_sain, tmp_path) -> Path:
    d = tmp_path / "extrait"
    shutil.copytree(extrait_sain, d)
    return d


@pytest.fixture
def seuil_large(tmp_path, ecrire_overlay):
    """Parameters with a 5 % quarantine threshold: at this scale one row of a small table is above 0.1 %."""
    return ecrire_overlay(tmp_path / "overlay", "controles", "seuil_quarantaine", date(2017, 1, 1), 0.05)


def lire(extrait: Path, table: str) -> pl.DataFrame:
    return pl.read_csv(extrait / f"{table}.csv.gz", separator=";", infer_schema=False)


def ecrire(extrait: Path, table: str, df: pl.DataFrame) -> None:
    (extrait / f"{table}.csv.gz").unlink(missing_ok=True)
    df.write_csv(extrait / f"{table}.csv", separator=";")


def modifier(extrait: Path, table: str, ligne: int, colonne: str, valeur: str) -> None:
    df = lire(extrait, table)
    df = df.with_columns(
        pl.when(pl.int_range(pl.len()) == ligne - 1)
        .then(pl.lit(valeur))
        .otherwise(pl.col(colonne))
        .alias(colonne)
    )
    ecrire(extrait, table, df)


def quarantaine(lake: Path, table: str) -> pl.DataFrame:
    return pl.read_parquet(lake / f"annee={ANNEE}" / "quarantaine" / f"{table}.parquet")


def test_clean_extract_is_ingested_whole(extrait, tmp_path):
    r = ingerer(extrait, ANNEE, tmp_path / "lake")
    for nom, t in r["tables"].items():
        assert t["lignes_quarantaine"] == 0, nom
    n = lire(extrait, "ER_PRS_F").height
    assert pl.read_parquet(tmp_path / "lake" / f"annee={ANNEE}" / "ER_PRS_F.parquet").height == n


@pytest.mark.parametrize(
    "table, colonne, valeur, controle",
    [
        ("ER_PRS_F", "PRS_ACT_QTE", "abc", "type Int64"),  # wrong type
        ("ER_PRS_F", "PRS_NAT_REF", "12345", "IR_NAT"),  # unknown nature code
        ("ER_PRS_F", "EXE_SOI_DTD", "31/02/2025", "type Date"),  # malformed date
        ("ER_PRS_F", "PFS_EXE_NUM", "99999999", "cabinet"),  # cabinet absent from DA_PRA_R
        ("ER_PRS_F", "EXE_SOI_DTD", "15/06/2024", "année 2025"),  # line of another year
        ("ER_PRS_F", "PRS_PAI_MNT", "26.505", "type Int64"),  # a third decimal is never rounded
        ("IR_MTT_R", "MTT_FIN_DTE", "abc", "type Date"),  # an end date that is neither a date nor empty
        ("DA_PRA_R", "PFS_INS_DSD", "2020-01-01", "type Date"),  # pandera engine (dataframe-level check)
    ],
)
def test_row_defects_go_to_quarantine_with_their_reason(
    extrait, tmp_path, seuil_large, table, colonne, valeur, controle
):
    modifier(extrait, table, 3, colonne, valeur)
    r = ingerer(extrait, ANNEE, tmp_path / "lake", seuil_large)
    t = r["tables"][table]
    assert t["lignes_quarantaine"] == 1
    assert t["lignes_retenues"] == t["lignes_lues"] - 1
    q = quarantaine(tmp_path / "lake", table)
    assert q["ligne"].to_list() == [3]
    assert colonne in q["motifs"][0] and controle in q["motifs"][0]
    assert q[colonne][0] == valeur  # the raw row is kept as delivered
    assert t["defauts"][0]["colonne"] == colonne and t["defauts"][0]["premieres_lignes"] == [3]


@pytest.mark.parametrize(
    "table, colonne, valeur",
    [  # the absurd values a hostile tester had paid from (issue "Never pay twice … no absurd value")
        ("ER_PRS_F", "PRS_PAI_MNT", "1000000000000000.00"),
        ("ER_PRS_F", "PRS_ACT_QTE", "2000000000"),
        ("CPTS_CONTRATS", "POPULATION", "1000000000000"),
        ("CONTRATS_AAM", "CTR_SIG_DTE", "01/01/1700"),
        ("DA_PRA_R", "PFS_INS_DSD", "01/01/1700"),  # pandera engine (dataframe-level check)
        ("CONTRATS_AAM", "CTR_NUM", "X" * 1_000_000),
    ],
)
def test_absurd_values_are_quarantined_by_the_plausibility_ranges(
    extrait, tmp_path, ecrire_overlay, table, colonne, valeur
):
    # a threshold of 20 %: at this scale CPTS_CONTRATS has 10 rows
    seuil = ecrire_overlay(tmp_path / "overlay", "controles", "seuil_quarantaine", date(2017, 1, 1), 0.2)
    modifier(extrait, table, 2, colonne, valeur)
    r = ingerer(extrait, ANNEE, tmp_path / "lake", seuil)
    t = r["tables"][table]
    assert t["lignes_quarantaine"] == 1
    q = quarantaine(tmp_path / "lake", table)
    assert q["ligne"].to_list() == [2]
    assert f"{colonne}: hors bornes plausibles" in q["motifs"][0]
    lac = pl.read_parquet(tmp_path / "lake" / f"annee={ANNEE}" / f"{table}.parquet")
    assert lac.height == t["lignes_lues"] - 1  # paid from nothing


def test_a_plausibility_range_on_an_unknown_column_stops_the_ingest(extrait, tmp_path, ecrire_overlay):
    p = charger_parametres()
    bornes = dict(p.a("controles", "bornes_plausibles", date(ANNEE, 1, 1)))
    bornes["ER_PRS_F.PRS_PAI_MTN"] = {"max": 1, "raison": "typo"}
    bornes["CPTS_CONTRATS.SIG_DTE"] = {"min": 2019, "raison": "a year where a date is needed"}
    overlay = ecrire_overlay(tmp_path / "o", "controles", "bornes_plausibles", date(2017, 1, 1), bornes)
    with pytest.raises(ErreurIngest) as e:
        ingerer(extrait, ANNEE, tmp_path / "lake", overlay)
    assert "ER_PRS_F.PRS_PAI_MTN: no such table column" in str(e.value)
    assert "CPTS_CONTRATS.SIG_DTE.min: 2019 is not a date" in str(e.value)
    assert not (tmp_path / "lake" / f"annee={ANNEE}").exists()


def test_every_failure_of_a_table_is_reported_at_once(extrait, tmp_path):
    df = lire(extrait, "ER_PRS_F").with_columns(
        pl.when(pl.int_range(pl.len()) == 0)
        .then(pl.lit("12345"))
        .otherwise(pl.col("PRS_NAT_REF"))
        .alias("PRS_NAT_REF"),
        pl.when(pl.int_range(pl.len()) == 1)
        .then(pl.lit("xx"))
        .otherwise(pl.col("EXE_SOI_DTD"))
        .alias("EXE_SOI_DTD"),
        pl.when(pl.int_range(pl.len()) == 1)
        .then(pl.lit("7"))
        .otherwise(pl.col("CPL_MAJ_TOP"))
        .alias("CPL_MAJ_TOP"),
    )
    ecrire(extrait, "ER_PRS_F", df)
    r = ingerer(extrait, ANNEE, tmp_path / "lake")
    colonnes = {d["colonne"] for d in r["tables"]["ER_PRS_F"]["defauts"]}
    assert colonnes == {"PRS_NAT_REF", "EXE_SOI_DTD", "CPL_MAJ_TOP"}
    assert r["tables"]["ER_PRS_F"]["lignes_quarantaine"] == 2


def test_missing_file_stops(extrait, tmp_path):
    (extrait / "ER_PRS_F.csv.gz").unlink()
    with pytest.raises(ErreurIngest, match="ER_PRS_F: file missing"):
        ingerer(extrait, ANNEE, tmp_path / "lake")


def test_missing_file_of_a_rule_not_in_force_is_allowed(extrait, tmp_path):
    (extrait / "SAS_INSCRIPTIONS.csv.gz").unlink()  # forfait SAS is in force from 2026 only
    r = ingerer(extrait, ANNEE, tmp_path / "lake")
    assert r["tables"]["SAS_INSCRIPTIONS"]["absente"]


def test_missing_file_of_a_rule_in_force_names_the_rule(extrait, tmp_path):
    (extrait / "ORIENTATIONS_IPA.csv.gz").unlink()
    with pytest.raises(ErreurIngest, match="needed by forfait_ipa"):
        ingerer(extrait, ANNEE, tmp_path / "lake")


def test_missing_column_stops_naming_it(extrait, tmp_path):
    ecrire(extrait, "DA_PRA_R", lire(extrait, "DA_PRA_R").drop("PFS_EXC_COM"))
    with pytest.raises(ErreurIngest, match="DA_PRA_R: .* lacks required column\\(s\\) PFS_EXC_COM"):
        ingerer(extrait, ANNEE, tmp_path / "lake")


def test_extra_columns_are_ignored(extrait, tmp_path):
    ecrire(extrait, "OPTAM", lire(extrait, "OPTAM").with_columns(pl.lit("x").alias("COLONNE_EN_PLUS")))
    r = ingerer(extrait, ANNEE, tmp_path / "lake")
    assert (
        "COLONNE_EN_PLUS"
        not in pl.read_parquet(tmp_path / "lake" / f"annee={ANNEE}" / "OPTAM.parquet").columns
    )
    assert r["tables"]["OPTAM"]["lignes_quarantaine"] == 0


def test_empty_file_stops(extrait, tmp_path):
    (extrait / "ZONAGE.csv.gz").unlink()
    (extrait / "ZONAGE.csv").write_bytes(b"")
    with pytest.raises(ErreurIngest, match="ZONAGE: ZONAGE.csv is empty"):
        ingerer(extrait, ANNEE, tmp_path / "lake")


def test_header_only_is_zero_rows_except_for_claims(extrait, tmp_path):
    ecrire(extrait, "OPTAM", lire(extrait, "OPTAM").head(0))
    r = ingerer(extrait, ANNEE, tmp_path / "lake")
    assert r["tables"]["OPTAM"]["lignes_lues"] == 0
    ecrire(extrait, "ER_PRS_F", lire(extrait, "ER_PRS_F").head(0))
    with pytest.raises(ErreurIngest, match="ER_PRS_F: .* has no row"):
        ingerer(extrait, ANNEE, tmp_path / "lake2")


def test_latin1_file_stops_with_what_to_do(extrait, tmp_path):
    df = lire(extrait, "CPTS_CONTRATS").with_columns(pl.lit("CPTS Évian-les-Bains").alias("CPTS_ID"))
    (extrait / "CPTS_CONTRATS.csv.gz").unlink()
    (extrait / "CPTS_CONTRATS.csv").write_bytes(df.write_csv(separator=";").encode("latin-1"))
    with pytest.raises(ErreurIngest, match="CPTS_CONTRATS: .*UTF-8.*iconv"):
        ingerer(extrait, ANNEE, tmp_path / "lake")


def _lignes_claims(extrait: Path) -> list[str]:
    lignes = lire(extrait, "ER_PRS_F").write_csv(separator=";").splitlines()
    (extrait / "ER_PRS_F.csv.gz").unlink()
    return lignes


def test_an_unmatched_quote_is_told_at_its_true_row_without_any_field(extrait, tmp_path):
    lignes = _lignes_claims(extrait)
    nir = lignes[1001].split(";")[0]
    lignes[1001] = '"' + lignes[1001]  # data row 1001 opens a quote that never closes
    (extrait / "ER_PRS_F.csv").write_text("\n".join(lignes) + "\n")
    with pytest.raises(ErreurIngest) as e:
        ingerer(extrait, ANNEE, tmp_path / "lake")
    assert str(e.value).startswith('ER_PRS_F: ER_PRS_F.csv has an unmatched quote (") opened at line 1002')
    assert nir not in str(e.value) and "PlRefPath" not in str(e.value)


def test_a_latin1_row_deep_in_the_file_is_told_at_its_true_row(extrait, tmp_path):
    lignes = _lignes_claims(extrait)
    donnees = ("\n".join(lignes) + "\n").encode()
    debut = donnees.index(lignes[10].encode())
    (extrait / "ER_PRS_F.csv").write_bytes(donnees[:debut] + "é".encode("latin-1") + donnees[debut:])
    with pytest.raises(ErreurIngest, match=r"not UTF-8 text at row 10 \(line 11\).*iconv"):
        ingerer(extrait, ANNEE, tmp_path / "lake")


def test_a_comma_separated_file_is_told_as_such(extrait, tmp_path):
    df = lire(extrait, "OPTAM")
    (extrait / "OPTAM.csv.gz").unlink()
    df.write_csv(extrait / "OPTAM.csv", separator=",")
    with pytest.raises(ErreurIngest, match=r"^OPTAM: OPTAM.csv is separated by ',', not ';'"):
        ingerer(extrait, ANNEE, tmp_path / "lake")


def test_two_files_of_one_table_are_refused_naming_both(extrait, tmp_path):
    lire(extrait, "OPTAM").write_parquet(extrait / "OPTAM.parquet")
    with pytest.raises(ErreurIngest, match=r"^OPTAM: OPTAM.parquet and OPTAM.csv.gz could both be the table"):
        ingerer(extrait, ANNEE, tmp_path / "lake")


def test_a_symlink_loop_is_not_a_missing_file(extrait, tmp_path):
    (extrait / "ZONAGE.csv.gz").unlink()
    (extrait / "ZONAGE.csv").symlink_to(extrait / "ZONAGE.csv")
    with pytest.raises(
        ErreurIngest, match=r"^ZONAGE: ZONAGE.csv is a symbolic link that leads to no file \(it is a loop"
    ):
        ingerer(extrait, ANNEE, tmp_path / "lake")


def test_a_file_of_another_kind_is_not_echoed(extrait, tmp_path):
    (extrait / "ZONAGE.csv.gz").unlink()
    (extrait / "ZONAGE.csv").write_text("root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1\n")
    with pytest.raises(ErreurIngest) as e:
        ingerer(extrait, ANNEE, tmp_path / "lake")
    assert "lacks required column(s)" in str(e.value) and "no column name" in str(e.value)
    assert "root" not in str(e.value)


def test_a_short_row_has_its_missing_fields_absent_a_long_row_stops(extrait, tmp_path):
    """A row with fewer fields than the header has its missing fields absent: a required one sends the row to
    quarantine with its reason. A row with more fields than the header is a structural defect: the ingest
    stops and names the file."""
    lignes = lire(extrait, "ER_PRS_F").write_csv(separator=";").splitlines()
    (extrait / "ER_PRS_F.csv.gz").unlink()
    courte = lignes.copy()
    courte[3] = courte[3].rsplit(";", 1)[0]  # data row 3 loses its last field, RGM_COD
    (extrait / "ER_PRS_F.csv").write_text("\n".join(courte) + "\n")
    ingerer(extrait, ANNEE, tmp_path / "lake")
    q = quarantaine(tmp_path / "lake", "ER_PRS_F")
    assert q["ligne"].to_list() == [3] and "RGM_COD: not_nullable" in q["motifs"][0]
    longue = lignes.copy()
    longue[3] += ";1"
    (extrait / "ER_PRS_F.csv").write_text("\n".join(longue) + "\n")
    with pytest.raises(
        ErreurIngest,
        match=r"^ER_PRS_F: ER_PRS_F\.csv has 15 fields at row 3 \(line 4\) where its header has 14",
    ):
        ingerer(extrait, ANNEE, tmp_path / "lake2")


def test_windows_line_endings_give_the_same_lake(extrait, tmp_path):
    unix = ingerer(extrait, ANNEE, tmp_path / "lake1")
    for f in list(extrait.glob("*.csv.gz")):
        table = f.name.removesuffix(".csv.gz")
        texte = lire(extrait, table).write_csv(separator=";")
        f.unlink()
        (extrait / f"{table}.csv").write_bytes(texte.replace("\n", "\r\n").encode())
    windows = ingerer(extrait, ANNEE, tmp_path / "lake2")
    for nom in unix["tables"]:
        # a keyed table with duplicates is regrouped: compare sorted contents
        a = pl.read_parquet(tmp_path / "lake1" / f"annee={ANNEE}" / f"{nom}.parquet")
        b = pl.read_parquet(tmp_path / "lake2" / f"annee={ANNEE}" / f"{nom}.parquet")
        assert a.sort(a.columns).equals(b.sort(b.columns)), nom
        assert windows["tables"][nom]["lignes_quarantaine"] == 0


def test_identical_duplicates_are_kept_once_conflicting_keys_quarantined(extrait, tmp_path, seuil_large):
    df = lire(extrait, "DA_PRA_R")
    conflit = df.slice(1, 1).with_columns(pl.lit("99").alias("PFS_PRA_SPE"))
    ecrire(extrait, "DA_PRA_R", pl.concat([df, df.slice(0, 1), conflit]))
    r = ingerer(extrait, ANNEE, tmp_path / "lake", seuil_large)
    t = r["tables"]["DA_PRA_R"]
    assert t["doublons_identiques"] == 1
    assert t["lignes_quarantaine"] == 2  # both rows of the conflicting key
    lake = pl.read_parquet(tmp_path / "lake" / f"annee={ANNEE}" / "DA_PRA_R.parquet")
    assert lake.height == df.height - 1
    assert lake["PFS_PFS_NUM"].n_unique() == lake.height


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["", "1", "A", "12"]), st.integers(0, 3) | st.none()), max_size=12))
def test_the_duplicate_search_finds_a_repeated_hash_exactly_when_a_key_repeats(cles):
    """The search for duplicates starts from the hashes of the key: they repeat if and only if a key does
    (empty and one-row tables, empty strings and null ranks included)."""
    df = pl.DataFrame(cles, schema={"NIR": pl.String, "RANG": pl.Int64}, orient="row")
    with tempfile.TemporaryDirectory() as d:
        f = Path(d) / "t.parquet"
        df.write_parquet(f)
        assert _hache_repete(f, ["NIR", "RANG"]) == (len(set(cles)) < len(cles))


def test_a_table_with_duplicates_is_written_in_a_deterministic_order(extrait, tmp_path):
    """The rows without duplicates in delivered order, then each duplicated row once, in the order it was
    first delivered: two ingests of one extract write the same lake, whatever the hashing of the process."""
    df = lire(extrait, "DA_PRA_R")
    ecrire(extrait, "DA_PRA_R", pl.concat([df, df.slice(0, 50)]))
    ingerer(extrait, ANNEE, tmp_path / "lake")
    lake = pl.read_parquet(tmp_path / "lake" / f"annee={ANNEE}" / "DA_PRA_R.parquet")
    attendu = pl.concat([df.slice(50), df.slice(0, 50)])["PFS_PFS_NUM"]  # the key: one row each
    assert lake["PFS_PFS_NUM"].cast(pl.String).to_list() == attendu.to_list()


def _corrompre(extrait: Path, nb: int) -> int:
    df = lire(extrait, "ER_PRS_F")
    ecrire(
        extrait,
        "ER_PRS_F",
        df.with_columns(
            pl.when(pl.int_range(pl.len()) < nb)
            .then(pl.lit("12345"))
            .otherwise(pl.col("PRS_NAT_REF"))
            .alias("PRS_NAT_REF")
        ),
    )
    return df.height


def test_quarantine_share_at_the_threshold_goes_on(extrait, tmp_path):
    n = lire(extrait, "ER_PRS_F").height
    nb = int(n * 0.001)  # share ≤ 0.1 %
    _corrompre(extrait, nb)
    r = ingerer(extrait, ANNEE, tmp_path / "lake")
    assert r["tables"]["ER_PRS_F"]["lignes_quarantaine"] == nb


def test_quarantine_share_just_over_the_threshold_stops(extrait, tmp_path):
    n = lire(extrait, "ER_PRS_F").height
    _corrompre(extrait, int(n * 0.001) + 1)
    with pytest.raises(ErreurIngest, match="above the threshold of 0.100%"):
        ingerer(extrait, ANNEE, tmp_path / "lake")
    assert not (tmp_path / "lake" / f"annee={ANNEE}").exists()
    echec = next((tmp_path / "lake" / ".echecs").iterdir())
    assert (echec / "quarantaine" / "ER_PRS_F.parquet").exists()  # nothing lost: the defective rows are kept


def test_a_parquet_table_over_the_threshold_stops_before_writing_its_valid_rows(
    extrait_parquet_sain, tmp_path
):
    """Checked by polars, a Parquet table whose defective share passes the threshold stops the ingest with the
    same message; its defective rows are kept and its valid rows not written (the ingest stops anyway)."""
    d = tmp_path / "extrait"
    shutil.copytree(extrait_parquet_sain, d)
    df = pl.read_parquet(d / "ER_PRS_F.parquet")
    nb = int(df.height * 0.001) + 1
    df.with_columns(
        pl.when(pl.int_range(pl.len()) < nb).then(12345).otherwise("PRS_NAT_REF").alias("PRS_NAT_REF")
    ).write_parquet(d / "ER_PRS_F.parquet")
    with pytest.raises(
        ErreurIngest, match=rf"ER_PRS_F: {nb:,} of {df.height:,} rows are defective .* above the"
    ):
        ingerer(d, ANNEE, tmp_path / "lake")
    assert not (tmp_path / "lake" / f"annee={ANNEE}").exists()
    echec = next((tmp_path / "lake" / ".echecs").iterdir())
    assert pl.read_parquet(echec / "quarantaine" / "ER_PRS_F.parquet")["ligne"].to_list() == list(
        range(1, nb + 1)
    )
    assert not (echec / "ER_PRS_F.parquet").exists()


def test_patient_ids_never_in_messages_or_reports(extrait, tmp_path):
    df = lire(extrait, "ER_PRS_F")
    nirs = df["BEN_NIR_PSA"].head(5).to_list()
    ecrire(
        extrait,
        "ER_PRS_F",
        df.with_columns(
            pl.when(pl.int_range(pl.len()) < 5)
            .then(pl.col("BEN_NIR_PSA") + "X")
            .otherwise(pl.col("BEN_NIR_PSA"))
            .alias("BEN_NIR_PSA")
        ),
    )
    r = ingerer(extrait, ANNEE, tmp_path / "lake")
    assert r["tables"]["ER_PRS_F"]["lignes_quarantaine"] == 5
    texte = (
        json.dumps(r, default=str, ensure_ascii=False)
        + (tmp_path / "lake" / f"annee={ANNEE}" / "ingest.json").read_text()
    )
    assert "BEN_NIR_PSA" in texte and "premieres_lignes" in texte  # the defect is told: column, rows
    for nir in nirs:
        assert nir not in texte


def test_failed_ingest_leaves_the_published_year_untouched(extrait, tmp_path):
    lake = tmp_path / "lake"
    ingerer(extrait, ANNEE, lake)
    avant = os.readlink(lake / f"annee={ANNEE}")
    contenu = pl.read_parquet(lake / f"annee={ANNEE}" / "ER_PRS_F.parquet")
    (extrait / "IR_BEN_R.csv.gz").unlink()
    with pytest.raises(ErreurIngest):
        ingerer(extrait, ANNEE, lake)
    assert os.readlink(lake / f"annee={ANNEE}") == avant
    assert pl.read_parquet(lake / f"annee={ANNEE}" / "ER_PRS_F.parquet").equals(contenu)


def test_reingest_replaces_the_year_whole(extrait, tmp_path):
    lake = tmp_path / "lake"
    ingerer(extrait, ANNEE, lake)
    premier = (lake / f"annee={ANNEE}").resolve()
    ingerer(extrait, ANNEE, lake)
    second = (lake / f"annee={ANNEE}").resolve()
    assert premier != second and not premier.exists()
    assert [p.name for p in (lake / ".versions").iterdir()] == [second.name]


@pytest.fixture(scope="session")
def extrait_parquet_sain(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("extraits_parquet")
    generer(out, [ANNEE], 0.001, 7, "parquet", charger_parametres(), "2GB", progression=lambda m: None)
    return out / str(ANNEE)


def test_parquet_defects_are_found_by_the_compiled_engine_with_their_row_numbers(
    extrait_parquet_sain, tmp_path
):
    """A Parquet extract is checked by the model compiled to polars: same reasons, row numbers of the file;
    the lake holds every other row, in file order."""
    d = tmp_path / "extrait"
    shutil.copytree(extrait_parquet_sain, d)
    df = pl.read_parquet(d / "ER_PRS_F.parquet")
    df = df.with_columns(
        pl.when(pl.int_range(pl.len()) == 4).then(12345).otherwise("PRS_NAT_REF").alias("PRS_NAT_REF"),
        pl.when(pl.int_range(pl.len()) == 9)
        .then(pl.lit("99999999"))
        .otherwise(pl.col("PFS_EXE_NUM"))
        .alias("PFS_EXE_NUM"),
        pl.when(pl.int_range(pl.len()) == 9)
        .then(pl.lit(None, pl.Date))
        .otherwise(pl.col("EXE_SOI_DTD"))
        .alias("EXE_SOI_DTD"),
    )
    df.write_parquet(d / "ER_PRS_F.parquet")
    r = ingerer(d, ANNEE, tmp_path / "lake")
    t = r["tables"]["ER_PRS_F"]
    assert (t["lignes_lues"], t["lignes_quarantaine"], t["lignes_retenues"]) == (df.height, 2, df.height - 2)
    q = quarantaine(tmp_path / "lake", "ER_PRS_F").sort("ligne")
    assert q["ligne"].to_list() == [5, 10]
    assert "PRS_NAT_REF: nomenclature IR_NAT_V (12345)" in q["motifs"][0]
    assert "PFS_EXE_NUM: cabinet connu de DA_PRA_R (99999999)" in q["motifs"][1]
    assert "EXE_SOI_DTD: not_nullable" in q["motifs"][1]
    resume = {(x["colonne"], x["controle"]): (x["nombre"], x["premieres_lignes"]) for x in t["defauts"]}
    assert resume[("PRS_NAT_REF", "nomenclature IR_NAT_V")] == (1, [5])
    assert resume[("PFS_EXE_NUM", "cabinet connu de DA_PRA_R")] == (1, [10])
    rapport = json.dumps(r, default=str, ensure_ascii=False) + "".join(q["motifs"])
    assert not any(nir in rapport for nir in q["BEN_NIR_PSA"])  # the quarantine keeps them, messages do not
    lac = pl.read_parquet(tmp_path / "lake" / f"annee={ANNEE}" / "ER_PRS_F.parquet")
    assert lac.height == df.height - 2 and lac["PRS_PAI_MNT"].dtype == pl.Int64
    attendu = df.filter(~pl.int_range(pl.len()).is_in([4, 9]))["PRS_PAI_MNT"].cast(pl.Float64).sum()
    assert lac["PRS_PAI_MNT"].sum() == round(attendu * 100)
    gardees = df.filter(~pl.int_range(pl.len()).is_in([4, 9]))
    assert lac["BEN_NIR_PSA"].equals(gardees["BEN_NIR_PSA"]) and lac["EXE_SOI_DTD"].equals(
        gardees["EXE_SOI_DTD"]
    )


@pytest.mark.parametrize(
    "table, message",
    [
        ("ER_PRS_F", r"is unreadable as Parquet: it is damaged"),  # the compiled engine's two passes
        ("DA_PRA_R", r"is unreadable as Parquet: it is damaged"),  # pandera's batches
    ],
)
def test_a_damaged_parquet_page_stops_and_keeps_the_published_year(
    extrait_parquet_sain, tmp_path, table, message
):
    """A Parquet extract whose first page header is damaged (the footer, read first, is intact) stops the
    ingest with the file named unreadable, and the year published before stays as it was."""
    d = tmp_path / "extrait"
    shutil.copytree(extrait_parquet_sain, d)
    lake = tmp_path / "lake"
    ingerer(d, ANNEE, lake)
    avant = sorted(p.name for p in (lake / f"annee={ANNEE}").iterdir())
    octets = bytearray((d / f"{table}.parquet").read_bytes())
    octets[4:68] = b"\xff" * 64
    (d / f"{table}.parquet").write_bytes(bytes(octets))
    with pytest.raises(ErreurIngest, match=rf"^{table}: {table}\.parquet {message}"):
        ingerer(d, ANNEE, lake)
    assert sorted(p.name for p in (lake / f"annee={ANNEE}").iterdir()) == avant
    assert pl.read_parquet(lake / f"annee={ANNEE}" / f"{table}.parquet").height > 0


def test_batch_boundaries_change_neither_the_lake_nor_the_row_numbers(extrait, tmp_path, monkeypatch):
    """A CSV is read, checked and written in overlapping batches: cutting it in more batches changes no row
    of the lake, and a defect in the last batch keeps its row number in the file."""
    n = lire(extrait, "ER_PRS_F").height
    modifier(extrait, "ER_PRS_F", n - 1, "EXE_SOI_DTD", "31/02/2025")
    un_lot = ingerer(extrait, ANNEE, tmp_path / "un")
    monkeypatch.setattr("flows.ingest_tables.TAILLE_LOT", n // 5)
    lots = ingerer(extrait, ANNEE, tmp_path / "lots")
    assert lots["tables"]["ER_PRS_F"]["lignes_lues"] == n
    assert quarantaine(tmp_path / "lots", "ER_PRS_F")["ligne"].to_list() == [n - 1]
    for table, r in un_lot["tables"].items():
        if r.get("absente"):
            continue
        a = pl.read_parquet(tmp_path / "un" / f"annee={ANNEE}" / f"{table}.parquet")
        b = pl.read_parquet(tmp_path / "lots" / f"annee={ANNEE}" / f"{table}.parquet")
        assert a.sort(a.columns).equals(b.sort(b.columns)), table


def _tries(defauts: list[dict]) -> list[dict]:
    return sorted(defauts, key=lambda d: (d["colonne"], d["controle"]))  # ties of 'nombre' have no order


def _lectures(monkeypatch) -> list:
    """Record, for each CSV read of the claims, which columns polars' reader was asked to parse."""
    import flows.ingest_tables as ingest

    lectures, lecteur = [], ingest._lecteur

    def espion(f, table, colonnes, entiers=None):
        if table == "ER_PRS_F":
            lectures.append(sorted(entiers or []))
        return lecteur(f, table, colonnes, entiers)

    monkeypatch.setattr(ingest, "_lecteur", espion)
    return lectures


def test_a_malformed_integer_deep_in_the_file_reads_the_table_again_as_text(
    extrait, tmp_path, seuil_large, monkeypatch
):
    """polars' reader parses the integer columns of a CSV; a field it does not take ('1.5') in the last
    batch, after earlier batches were written and a defect of the first one quarantined, makes the table be
    read again as text: every defect is reported once, with its row number and its value as delivered."""
    df = lire(extrait, "ER_PRS_F")
    n, rang = df.height, pl.int_range(pl.len())
    df = df.with_columns(
        pl.when(rang == 1).then(pl.lit("99999999")).otherwise(pl.col("PFS_EXE_NUM")).alias("PFS_EXE_NUM"),
        pl.when(rang == n - 2).then(pl.lit("1.5")).otherwise(pl.col("PRS_ACT_QTE")).alias("PRS_ACT_QTE"),
    )
    ecrire(extrait, "ER_PRS_F", df)
    monkeypatch.setattr("flows.ingest_tables.TAILLE_LOT", n // 5)
    lectures = _lectures(monkeypatch)
    r = ingerer(extrait, ANNEE, tmp_path / "lake", seuil_large)["tables"]["ER_PRS_F"]
    assert len(lectures) == 2 and lectures[0] and lectures[1] == []  # typed first, then all text
    q = quarantaine(tmp_path / "lake", "ER_PRS_F")
    assert q["ligne"].to_list() == [2, n - 1]
    assert q["PRS_ACT_QTE"][1] == "1.5" and "PRS_ACT_QTE: type Int64 (1.5)" in q["motifs"][1]
    assert (r["lignes_lues"], r["lignes_retenues"], r["lignes_quarantaine"]) == (n, n - 2, 2)
    monkeypatch.setattr("flows.ingest_tables._entiers", lambda schema: {})  # all text from the start
    texte = ingerer(extrait, ANNEE, tmp_path / "texte", seuil_large)["tables"]["ER_PRS_F"]
    assert _tries(texte["defauts"]) == _tries(r["defauts"])
    lake = pl.read_parquet(tmp_path / "lake" / f"annee={ANNEE}" / "ER_PRS_F.parquet")
    assert lake.equals(pl.read_parquet(tmp_path / "texte" / f"annee={ANNEE}" / "ER_PRS_F.parquet"))


def test_integers_parsed_by_the_reader_give_the_lake_of_the_text_read(
    extrait, tmp_path, seuil_large, monkeypatch
):
    """Integers written '01', '+7' or ' 7' are taken by polars' reader with the value the model's typing
    gives them, so the lake and the defects are those of a read all as text. One thing differs, by design: a
    quarantined row shows its integer fields as numbers ('+9999' is shown 9999)."""
    df = lire(extrait, "ER_PRS_F")
    rang = pl.int_range(pl.len())
    df = df.with_columns(
        pl.when(rang == 0).then(pl.lit("01")).otherwise(pl.col("BEN_RNG_GEM")).alias("BEN_RNG_GEM"),
        pl.when(rang == 1).then(pl.lit("+1")).otherwise(pl.col("PRS_ACT_QTE")).alias("PRS_ACT_QTE"),
        pl.when(rang == 2).then(pl.lit(" 0")).otherwise(pl.col("CPL_MAJ_TOP")).alias("CPL_MAJ_TOP"),
        pl.when(rang == 3).then(pl.lit("+9999")).otherwise(pl.col("RGM_COD")).alias("RGM_COD"),
        pl.when(rang == 4).then(pl.lit("")).otherwise(pl.col("DPN_QLF")).alias("DPN_QLF"),
    )
    ecrire(extrait, "ER_PRS_F", df)
    lectures = _lectures(monkeypatch)
    typee = ingerer(extrait, ANNEE, tmp_path / "typee", seuil_large)["tables"]["ER_PRS_F"]
    assert len(lectures) == 1 and "RGM_COD" in lectures[0]  # no second read
    monkeypatch.setattr("flows.ingest_tables._entiers", lambda schema: {})
    texte = ingerer(extrait, ANNEE, tmp_path / "texte", seuil_large)["tables"]["ER_PRS_F"]
    a = pl.read_parquet(tmp_path / "typee" / f"annee={ANNEE}" / "ER_PRS_F.parquet")
    assert a.equals(pl.read_parquet(tmp_path / "texte" / f"annee={ANNEE}" / "ER_PRS_F.parquet"))
    assert a["BEN_RNG_GEM"][0] == 1 and a["PRS_ACT_QTE"][1] == 1 and a["CPL_MAJ_TOP"][2] == 0

    def sans_valeur(r):
        return _tries([{k: v for k, v in d.items() if k != "exemples"} for d in r["defauts"]])

    assert sans_valeur(typee) == sans_valeur(texte)
    assert {(d["colonne"], d["premieres_lignes"][0]) for d in typee["defauts"]} == {
        ("RGM_COD", 4),
        ("DPN_QLF", 5),
    }
    q_typee, q_texte = (
        quarantaine(tmp_path / "typee", "ER_PRS_F"),
        quarantaine(tmp_path / "texte", "ER_PRS_F"),
    )
    assert q_texte["RGM_COD"].to_list() == ["+9999", df["RGM_COD"][4]]
    assert q_typee["RGM_COD"].to_list() == ["9999", str(int(df["RGM_COD"][4]))]

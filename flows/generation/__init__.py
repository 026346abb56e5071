"""Synthetic yearly extracts in the SNDS extraction layout (inputs.md), consistent across tables and years.

The same practitioners and patients run from year to year: a practitioner is present from his installation
year; a GP's médecin-traitant patients are a fixed range of the patient pool, of which the first n(N) hold a
running declaration at 31/12/N, n following a doctor-specific trend around the reference-year draw. On the
reference year (2021) the GP patientèle MT follows a piecewise-linear quantile function through the published
P30/P90/P95 (parameter ``seuils_publies``), so the computed percentiles land on them. Everything is computed
by DuckDB from deterministic hashes of (seed, index), streamed to disk table by table: a national year
(scale 1, ≈ 113 000 doctors, ≈ 450 M claim lines) never sits in memory.

Not modelled (known limits): practitioners never stop practising; a patient's claim lines may fall after his
death or before his birth year; children are not treated by pediatricians in particular.
"""

from __future__ import annotations

import gzip
import os
import shutil
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import duckdb
import polars as pl

from flows.generation.bornes import bornes
from transforms.parametres import JeuParametres

SQL = Path(__file__).parent / "sql"
NOMENCLATURES = Path(__file__).resolve().parents[2] / "data" / "reference" / "nomenclatures"

DOCTEURS_ECHELLE_1 = 113_000
AUTRES_PROFESSIONNELS = 0.06  # nurses and dentists, per doctor (the Covid aid covers every profession)
PATIENTS_HORS_MT = 0.15  # pool patients without a médecin traitant, per patient inside GP ranges
CPTS_ECHELLE_1 = 900

# share of doctors by specialty (IR_SPE_V code): GPs ≈ 46 %; others roughly as in the French RPPS
POIDS_SPECIALITES = {
    1: 40.0,
    22: 4.0,
    23: 2.0,
    12: 3.0,
    3: 5.0,
    5: 3.5,
    15: 5.0,
    7: 2.0,
    70: 1.5,
    77: 0.3,
    79: 1.2,
    11: 2.5,
    14: 2.0,
    13: 1.3,
    8: 2.0,
    4: 1.2,
    41: 2.5,
    16: 1.0,
    49: 1.0,
    33: 5.0,
    32: 1.0,
    6: 5.0,
    2: 3.0,
    9: 0.5,
    18: 0.3,
    37: 0.5,
    72: 0.2,
    76: 0.4,
    74: 0.2,
    42: 0.5,
    31: 0.8,
    10: 0.3,
    43: 0.2,
    44: 0.1,
    45: 0.1,
    46: 0.6,
    47: 0.3,
    48: 0.3,
    69: 0.2,
    84: 0.8,
    35: 0.5,
    71: 0.3,
    73: 0.3,
    85: 0.2,
    34: 0.3,
    75: 0.3,
}
# other professions (IR_CAT_V category, IR_ACT_V activity): nurses, dentists
AUTRES = {(6, 24): 0.75, (4, 19): 0.25}

TABLES_ANNUELLES = [
    ("DA_PRA_R", "10_da_pra_r.sql"),
    ("IR_BEN_R", "11_ir_ben_r.sql"),
    ("IR_MTT_R", "12_ir_mtt_r.sql"),
    ("IR_IMB_R", "13_ir_imb_r.sql"),
    ("IR_ORC_R", "14_ir_orc_r.sql"),
    ("ER_PRS_F", "20_er_prs_f.sql"),
    ("OPTAM", "30_optam.sql"),
    ("ZONAGE", "31_zonage.sql"),
    ("SAS_DEPLOIEMENT", "32_sas_deploiement.sql"),
    ("SAS_INSCRIPTIONS", "33_sas_inscriptions.sql"),
    ("MSU_DECLARATIONS", "34_msu_declarations.sql"),
    ("ORIENTATIONS_IPA", "35_orientations_ipa.sql"),
    ("CONTRATS_AAM", "36_contrats_aam.sql"),
    ("DIPA_DECLARATIONS", "37_dipa_declarations.sql"),
    ("CPTS_CONTRATS", "38_cpts_contrats.sql"),
    ("CPTS_MISSIONS", "39_cpts_missions.sql"),
]


def _sql(nom: str) -> str:
    return (SQL / nom).read_text(encoding="utf-8")


def _nomenclature(nom: str) -> pl.DataFrame:
    return pl.read_csv(NOMENCLATURES / f"{nom}.csv", separator=";", infer_schema=False)


def _referentiels(con: duckdb.DuckDBPyConnection, p: JeuParametres) -> None:
    total_medecins = sum(POIDS_SPECIALITES.values())
    lignes, cum = [], 0.0
    part_medecins = 1.0 / (1.0 + AUTRES_PROFESSIONNELS)
    for spe, w in POIDS_SPECIALITES.items():
        lignes.append((1, spe, cum, cum + w / total_medecins * part_medecins))
        cum = lignes[-1][3]
    for (cat, act), w in AUTRES.items():
        lignes.append((cat, act, cum, cum + w * (1 - part_medecins)))
        cum = lignes[-1][3]
    lignes[-1] = (*lignes[-1][:3], 1.0 + 1e-9)
    poids = pl.DataFrame(lignes, schema=["categorie", "specialite", "cum_lo", "cum_hi"], orient="row")
    dpt = _nomenclature("IR_DPT_V").select("GEO_DPT_COD")
    dpt = dpt.filter(
        pl.col("GEO_DPT_COD").is_in(
            [f"{i:03d}" for i in range(1, 96) if i != 20] + ["971", "972", "973", "974"]
        )
    ).sort("GEO_DPT_COD")
    departements = dpt.with_row_index("rn").select(
        pl.col("rn").cast(pl.Int64),
        pl.when(pl.col("GEO_DPT_COD").str.starts_with("97"))
        .then(pl.lit("97"))
        .otherwise(pl.col("GEO_DPT_COD").str.slice(1, 2))
        .alias("dpt2"),
        pl.col("GEO_DPT_COD").alias("dpt3"),
        pl.when(pl.col("GEO_DPT_COD").str.starts_with("97"))
        .then((pl.col("GEO_DPT_COD").str.slice(2, 1).cast(pl.Int64) - 1) * 15000)
        .otherwise(0)
        .alias("decalage"),
    )
    geo = _nomenclature("IR_GEO_V").filter(
        (pl.col("GEO_COM_COD") != "000") & pl.col("GEO_DPT_COD").is_in(departements["dpt3"].to_list())
    )
    # DOM communes are coded by their 3 last INSEE digits, whose first is the département's last digit
    geo = geo.filter(
        ~pl.col("GEO_DPT_COD").str.starts_with("97")
        | (pl.col("GEO_COM_COD").str.slice(0, 1) == pl.col("GEO_DPT_COD").str.slice(2, 1))
    )
    communes = (
        geo.select(pl.col("GEO_DPT_COD").alias("dpt3"), pl.col("GEO_COM_COD").alias("com3"))
        .unique()
        .sort(["dpt3", "com3"])
        .with_columns(pl.int_range(pl.len()).over("dpt3").cast(pl.Int64).alias("rn"))
    )
    nb_communes = communes.group_by("dpt3").agg(pl.len().cast(pl.Int64).alias("n"))
    communes_insee = (
        communes.join(departements, on="dpt3")
        .select((pl.col("dpt2") + pl.col("com3")).alias("com_insee"))
        .unique()
        .sort("com_insee")
    )
    ref = date(p.a("aide_assistant_medical", "annee_distribution_reference", date(2023, 1, 1)), 12, 31)
    seuils = p.a("aide_assistant_medical", "seuils_publies", ref)
    # piecewise-linear quantile function of the GP patientèle MT on the reference year
    points = [
        (0.0, 40),
        (0.05, 260),
        (0.30, seuils["P30"]),
        (0.50, 1060),
        (0.70, 1290),
        (0.90, seuils["P90"]),
        (0.95, seuils["P95"]),
        (0.99, 2350),
        (1.0 + 1e-9, 3300),
    ]
    ancres = pl.DataFrame(
        [(a[0], b[0], float(a[1]), float(b[1])) for a, b in zip(points, points[1:], strict=False)],
        schema=["u_lo", "u_hi", "v_lo", "v_hi"],
        orient="row",
    )
    for nom, df in [
        ("poids_specialites", poids),
        ("departements", departements),
        ("communes", communes),
        ("nb_communes", nb_communes),
        ("communes_insee", communes_insee),
        ("ancres_mt", ancres),
    ]:
        con.register(nom, df)  # the SQL models read these frames by name, without a copy
    con.execute("SET VARIABLE annee_distribution = ?", [ref.year])


def generer(
    out: Path,
    annees: list[int],
    echelle: float,
    graine: int,
    format: str,
    parametres: JeuParametres,
    memoire: str = "8GB",
    progression: Callable[[str], None] = print,
) -> dict:
    """Write one folder per year under ``out`` holding every table of inputs.md; return counts per table."""
    if format not in ("csv", "parquet"):
        raise ValueError("format must be csv or parquet")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / ".duckdb_tmp"
    con = duckdb.connect(
        config={"memory_limit": memoire, "temp_directory": str(tmp), "preserve_insertion_order": True}
    )
    con.execute("SET VARIABLE seed = ?", [graine])
    n_docteurs = max(60, round(DOCTEURS_ECHELLE_1 * echelle))
    con.execute("SET VARIABLE n_ps = ?", [round(n_docteurs * (1 + AUTRES_PROFESSIONNELS))])
    con.execute("SET VARIABLE n_cpts = ?", [max(4, round(CPTS_ECHELLE_1 * echelle))])
    _referentiels(con, parametres)
    con.execute(_sql("00_macros.sql"))
    t0 = time.perf_counter()
    con.execute(_sql("01_ps.sql"))
    n_pool_mt = con.execute("SELECT coalesce(sum(cap_mt), 0) FROM ps_mt").fetchall()[0][0]
    con.execute("SET VARIABLE n_pool_mt = ?", [int(n_pool_mt)])
    con.execute("SET VARIABLE n_pool = ?", [int(n_pool_mt * (1 + PATIENTS_HORS_MT)) + 1])
    con.execute(_sql("02_patients.sql"))
    progression(
        f"referentials: {con.execute('SELECT count(*) FROM ps').fetchall()[0][0]:,} practitioners, "
        f"{con.execute('SELECT count(*) FROM patients').fetchall()[0][0]:,} patients "
        f"({time.perf_counter() - t0:.1f} s)"
    )
    comptes: dict = {}
    for annee in annees:
        con.execute("SET VARIABLE annee = ?", [annee])
        for nom, df in bornes(annee).items():
            con.register(f"bornes_{nom}", df)
        dossier = out / str(annee)
        partiel = out / f".{annee}.partiel"
        shutil.rmtree(partiel, ignore_errors=True)
        partiel.mkdir(parents=True)
        for table, fichier in TABLES_ANNUELLES:
            t = time.perf_counter()
            rel = con.sql(_sql(fichier))
            if format == "parquet":
                chemin = partiel / f"{table}.parquet"
                rel.write_parquet(str(chemin), compression="zstd")
                n = con.execute("SELECT count(*) FROM read_parquet(?)", [str(chemin)]).fetchall()[0][0]
            else:
                chemin = partiel / f"{table}.csv.gz"
                _ecrire_csv_gzip(rel, chemin)
                n = con.execute(
                    "SELECT count(*) FROM read_csv(?, delim=';', header=true, all_varchar=true)",
                    [str(chemin)],
                ).fetchall()[0][0]
            comptes[(annee, table)] = n
            progression(f"{annee} {table}: {n:,} rows ({time.perf_counter() - t:.1f} s)")
        shutil.rmtree(dossier, ignore_errors=True)
        partiel.rename(dossier)
    con.close()
    shutil.rmtree(tmp, ignore_errors=True)
    return comptes


def _ecrire_csv_gzip(rel: duckdb.DuckDBPyRelation, chemin: Path) -> None:
    """``rel`` as an SNDS delivery (inputs.md: ';', header, dates DD/MM/YYYY, gzip). DuckDB writes the text
    into a pipe and Python's gzip compresses it beside, at level 1: DuckDB's own gzip, which has one level,
    took most of the 43 minutes of a national CSV extract (docs/benchmarks.md, "Generator"). The pipe exists
    before DuckDB opens it (through /dev/fd), so DuckDB never waits for a reader: a reader that stops makes
    its writes fail, and the reader sees the end of the text when our end of the pipe closes after DuckDB."""
    with gzip.open(chemin, "wb", compresslevel=1) as gz, ThreadPoolExecutor(max_workers=1) as fil:
        lecture, ecriture = os.pipe()
        compression = fil.submit(_compresser, lecture, gz)
        try:
            rel.write_csv(f"/dev/fd/{ecriture}", sep=";", header=True, date_format="%d/%m/%Y")
        finally:
            os.close(ecriture)
            compression.result()  # a reader that stopped is why DuckDB's writes failed: its error first


def _compresser(lecture: int, gz) -> None:
    with open(lecture, "rb") as texte:
        shutil.copyfileobj(texte, gz, 1 << 22)

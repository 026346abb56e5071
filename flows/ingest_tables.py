"""Validation and writing of one table of an extract into the lake (the engines of flows/ingest.py).

A Parquet table is checked by the pandera model compiled to polars expressions, in two streaming passes; a CSV
(or a Parquet table whose model does not compile, ``DA_PRA_R``) goes in ordered batches typed and checked by
the model (transforms/validation.py). Defective rows go to quarantine with their reasons; a table whose
quarantined share passes the threshold stops the ingest. Identical duplicates of a keyed table are kept once.

Over 350 lines: the three ways of reading one table share its report, its reader, its quarantine and its
threshold; apart, they would each repeat them.
"""

from __future__ import annotations

import re
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl
import pyarrow.parquet as pq

from flows.erreurs import EntreeRefusee
from flows.fichiers import diagnostic_csv, sha256_fichier
from schemas.sources import Table
from transforms.validation import Contexte, colonnes_patient, schema_du_jour, traiter_lot
from transforms.validation_polars import compilable, defectueuses, plan, valides, verificateur

SQL = Path(__file__).resolve().parent / "sql"
TAILLE_LOT = 2_000_000
NIVEAU_ZSTD = 1  # the lake's compression: zstd level 1 writes faster than the default 3 and smaller here
# the lake's column statistics: null counts, no min/max. Writing min/max costs 1 s of the 6.2 s that writing
# the claims of scale 0.1 takes (strings above all), and no query of the pipeline filters on a range that a
# row group's min/max could skip: the claims are in file order, every row group spans the year
STATISTIQUES = {"min": False, "max": False, "null_count": True, "distinct_count": False}
LIGNE = "__ligne"
C = duckdb.ColumnExpression
K = duckdb.ConstantExpression


class ErreurIngest(EntreeRefusee):
    """A structural defect, or a table whose quarantined share passes the threshold: the ingest stops."""


@dataclass
class RapportTable:
    table: str
    fichier: str | None = None
    sha256: str | None = None
    lignes_lues: int = 0
    lignes_retenues: int = 0
    lignes_quarantaine: int = 0
    doublons_identiques: int = 0
    defauts: list[dict] = field(
        default_factory=list
    )  # (colonne, controle, nombre, premieres_lignes, exemples)
    absente: bool = False


def _lecteur(
    f: Path, table: str, colonnes: list[str], entiers: dict[str, pl.DataType] | None = None
) -> pl.LazyFrame:
    """The file as a polars scan of its required columns; structural defects raise ErreurIngest. A CSV is
    streamed, gzip or not, as text (the model types it) except the columns of ``entiers``, which polars'
    reader parses as integers: polars reads the gzip claims of scale 0.1 in 18.4 s of CPU against 33.6 s for
    DuckDB's reader, and in 15.4 s with its 7 integer columns parsed (no text to allocate, no cast after)."""
    if f.stat().st_size == 0:
        raise ErreurIngest(f"{table}: {f.name} is empty (no header row); deliver the table with its header")
    try:
        if f.suffix == ".parquet":
            lf = pl.scan_parquet(f)
        else:
            lf = pl.scan_csv(
                f,
                separator=";",
                has_header=True,
                quote_char='"',
                infer_schema=False,
                encoding="utf8",
                schema_overrides=entiers,
            )
        noms = lf.collect_schema().names()
    except (pl.exceptions.PolarsError, OSError) as e:
        raise _illisible(table, f, e) from None
    manquantes = [c for c in colonnes if c not in noms]
    if manquantes:
        if f.suffix != ".parquet" and len(noms) == 1 and (diag := diagnostic_csv(f)):
            raise ErreurIngest(f"{table}: {f.name} {diag}")  # a header that did not split: the separator
        # the names found, when they look like column names (a file of another kind has its first line here)
        vus = [n for n in noms if re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,39}", n)]
        trouve = (
            f"columns found: {', '.join(vus[:40])}" if vus and len(vus) == len(noms) else "no column name"
        )
        raise ErreurIngest(
            f"{table}: {f.name} lacks required column(s) {', '.join(manquantes)} ({trouve}); "
            "is it the right file?"
        )
    return lf.select(colonnes)


def _illisible(table: str, f: Path, e: Exception) -> ErreurIngest:
    """The message of a file the reader stops on: where (the true row, found by ``diagnostic_csv``) and the
    likely cause, never the reader's own text (it quotes the row, patient identifier included)."""
    if f.suffix != ".parquet":
        diag = diagnostic_csv(f)
        if diag:
            return ErreurIngest(f"{table}: {f.name} {diag}")
    if isinstance(e, OSError) and not isinstance(e, FileNotFoundError):
        return ErreurIngest(f"{table}: {f.name} cannot be read ({e.strerror or type(e).__name__})")
    forme = "Parquet" if f.suffix == ".parquet" else "';'-separated UTF-8 CSV with a header row"
    return ErreurIngest(
        f"{table}: {f.name} is unreadable as {forme}: it is damaged or of another format; deliver it again"
    )


def _resume_defauts(defauts: list[pl.DataFrame]) -> list[dict]:
    if not defauts:
        return []
    d = pl.concat(defauts)
    if d.is_empty():
        return []
    r = (
        d.group_by("colonne", "controle")
        .agg(
            pl.len().alias("nombre"),
            pl.col("ligne").sort().head(5).alias("premieres_lignes"),
        )
        .sort("nombre", descending=True)
    )
    return r.to_dicts()


def ingerer_table(
    table: Table,
    f: Path,
    dossier: Path,
    ctx: Contexte,
    seuil: float,
    con: duckdb.DuckDBPyConnection,
    avancement: dict | None = None,
) -> RapportTable:
    """Validate one table's file and write it to ``dossier`` (its defective rows to quarantine); how far
    it is goes to ``avancement`` (``lignes`` read, or a Parquet table's ``passe``) for the progress lines."""
    avancement = {} if avancement is None else avancement
    schema = schema_du_jour(table.modele, ctx)
    colonnes = list(schema.columns)
    rapport = RapportTable(table=table.nom, fichier=f.name)
    # the file's SHA-256 (5 s for the national claims) is computed beside the validation, not before it
    with ThreadPoolExecutor(max_workers=1) as empreinte:
        sha = empreinte.submit(sha256_fichier, f)
        # Parquet tables are checked by the compiled model in two streaming passes. A CSV goes in ordered
        # batches, typed by the model's expressions and checked by its compiled checks. Not by DuckDB's CSV
        # reader: it types more leniently than the model ('1.5' → 2, '1_000' → 1000, '01/02/25' → year 25).
        # Not by the two streaming passes: the compiled checks cost more on text than the whole batch ingest
        # (45.6 M plain lines: 30.1 s to find the defective rows, then 19.9 s to write the others, against
        # 33.1 s then); and the batches give the row numbers for free.
        if f.suffix == ".parquet" and compilable(schema):
            source = _lecteur(f, table.nom, colonnes)
            sources = dict(source.collect_schema())
            _ingerer_polars(f, sources, schema, dossier, ctx, con, rapport, seuil, avancement)
        elif f.suffix == ".parquet":
            _ingerer_par_lots(_lecteur(f, table.nom, colonnes), f, schema, dossier, ctx, rapport, avancement)
        else:
            rapport = _ingerer_csv(table, f, schema, dossier, ctx, avancement)
        rapport.sha256 = sha.result()
    if table.non_vide and rapport.lignes_lues == 0:
        raise ErreurIngest(f"{table.nom}: {f.name} has no row; an extract of year {ctx.annee} cannot lack it")
    _verifier_seuil(rapport, seuil, ctx.annee)  # before the duplicates: they can only add to the share
    if table.cle:
        _dedoublonner(table, dossier / f"{table.nom}.parquet", dossier, rapport, con)
        _verifier_seuil(rapport, seuil, ctx.annee)
    return rapport


def _ingerer_csv(
    table: Table, f: Path, schema, dossier: Path, ctx: Contexte, avancement: dict
) -> RapportTable:
    """A CSV in ordered batches, its integer columns parsed by polars' reader (``_entiers``); when
    the reader meets a field it does not take, the table is read again, all as text."""
    colonnes = list(schema.columns)
    rapport = RapportTable(table=table.nom, fichier=f.name)
    if entiers := _entiers(schema):
        try:
            lecteur = _lecteur(f, table.nom, colonnes, entiers)
            _ingerer_par_lots(lecteur, f, schema, dossier, ctx, rapport, avancement, relire=True)
            return rapport
        except _EntierIllisible:
            (dossier / "quarantaine" / f"{table.nom}.parquet").unlink(missing_ok=True)
            rapport = RapportTable(table=table.nom, fichier=f.name)
    avancement["lignes"] = 0
    _ingerer_par_lots(_lecteur(f, table.nom, colonnes), f, schema, dossier, ctx, rapport, avancement)
    return rapport


class SeuilDepasse(ErreurIngest):
    """Too many rows of a table are defective: they are in its quarantine file."""


class _EntierIllisible(Exception):
    """polars' reader met a field of an integer column that is not a plain integer."""


def _entiers(schema) -> dict[str, pl.DataType]:
    """The integer columns of a model (amounts excepted) that polars' CSV reader may parse itself. It accepts
    a subset of what the model's typing accepts, with the same value: an optional sign and decimal digits,
    leading zeros and blanks before ('01', '+7', ' 7'), an empty or blank field as absent
    (``tests/transforms/test_validation.py`` pins it). Anything else ('1.5', '7 ', an overflow) stops the
    read; the table is then read again as text, so a defective integer costs a second read and nothing
    else."""
    return {
        n: pl.Int64
        for n, c in schema.columns.items()
        if c.dtype.type == pl.Int64 and not (c.metadata or {}).get("montant")
    }


def _verifier_seuil(rapport: RapportTable, seuil: float, annee: int) -> None:
    part = rapport.lignes_quarantaine / rapport.lignes_lues if rapport.lignes_lues else 0.0
    if part > seuil:
        raise SeuilDepasse(_message_seuil(rapport, part, seuil, annee))


def _ingerer_polars(
    f: Path,
    sources: dict[str, pl.DataType],
    schema,
    dossier: Path,
    ctx: Contexte,
    con: duckdb.DuckDBPyConnection,
    rapport: RapportTable,
    seuil: float,
    avancement: dict,
) -> None:
    """Validate and write a Parquet table with the model compiled to polars (transforms/validation_polars.py),
    in two streaming passes that use every core in bounded memory: the first checks every row and writes the
    defective ones, with their reasons, to quarantine (usually none); the second writes the others, typed, in
    file order. When the defective share passes ``seuil`` the second pass is not run: the ingest stops anyway,
    and a wrong extract (another year: every row defective) would otherwise hold every row number in memory.
    Rows read and kept are counted from the files' metadata."""
    sortie = dossier / f"{rapport.table}.parquet"
    chemin = dossier / "quarantaine" / f"{rapport.table}.parquet"
    try:
        source = pl.scan_parquet(f, row_index_name=LIGNE, row_index_offset=1)
        p = plan(schema, ctx, sources, csv=False)
        chemin.parent.mkdir(exist_ok=True)
        avancement["passe"] = f"checking {pq.ParquetFile(f).metadata.num_rows:,} rows"
        defectueuses(source, p, LIGNE).sink_parquet(chemin, compression="zstd")
        n = pq.ParquetFile(f).metadata.num_rows
        mauvais = pq.ParquetFile(chemin).metadata.num_rows
        rapport.lignes_lues, rapport.lignes_quarantaine, rapport.lignes_retenues = n, mauvais, n - mauvais
        if mauvais:
            resume = con.execute((SQL / "resume_defauts.sql").read_text(), [str(chemin)])
            cols = [d[0] for d in resume.description]
            rapport.defauts = [dict(zip(cols, row, strict=True)) for row in resume.fetchall()]
            if mauvais / n > seuil:  # the very test of _verifier_seuil
                return
        else:
            chemin.unlink()
            if not any(chemin.parent.iterdir()):
                chemin.parent.rmdir()
        exclues = (
            pl.read_parquet(chemin, columns=["ligne"])["ligne"] if mauvais else pl.Series([], dtype=pl.Int64)
        )
        avancement["passe"] = "writing the valid rows"
        valides(source, p, LIGNE, exclues).sink_parquet(
            sortie, compression="zstd", compression_level=NIVEAU_ZSTD, statistics=STATISTIQUES
        )
    except pl.exceptions.PolarsError as e:
        raise _illisible(rapport.table, f, e) from None


def _ingerer_par_lots(
    source: pl.LazyFrame,
    f: Path,
    schema,
    dossier: Path,
    ctx: Contexte,
    rapport: RapportTable,
    avancement: dict,
    relire: bool = False,
) -> None:
    """Validate a table batch by batch, in file order (so that row numbers are exact). Three stages overlap
    on the two cores: polars reads (and unzips) batch k+1 and the Parquet writer writes batch k−1 while
    batch k is typed and checked; each stage keeps its order. The checks are the model's compiled to polars
    (``verificateur``) when it compiles, pandera's otherwise (``DA_PRA_R``). Batches hold ``TAILLE_LOT`` rows:
    validation has a fixed cost per call, so small batches would dominate the ingest. With ``relire``, a
    read error raises ``_EntierIllisible`` (the caller reads the table again as text) instead of stopping."""
    sortie = dossier / f"{rapport.table}.parquet"
    ecrivain = quarantaine = None
    defauts: list[pl.DataFrame] = []
    secrets = colonnes_patient(schema)
    verifier = verificateur(schema) if compilable(schema) else None
    lots = source.collect_batches(chunk_size=TAILLE_LOT, maintain_order=True)
    with ThreadPoolExecutor(max_workers=1) as lecteur, ThreadPoolExecutor(max_workers=1) as scribe:
        ecriture: Future | None = None
        try:
            suivant = lecteur.submit(next, lots, None)
            while True:
                try:
                    brut = suivant.result()
                except Exception as e:  # a decoding error deep in the file, or a field of ``entiers``
                    if relire:
                        raise _EntierIllisible from None  # _ingerer_csv reads the table again as text
                    raise _illisible(rapport.table, f, e) from None
                if brut is None:
                    break
                suivant = lecteur.submit(next, lots, None)
                valides, mauvais, d = traiter_lot(brut, schema, rapport.lignes_lues + 1, ctx, verifier)
                rapport.lignes_lues += brut.height
                avancement["lignes"] = rapport.lignes_lues
                # polars' own arrays (strings as views): converting them to arrow's classic strings cost
                # 3 s of the claims of scale 0.1, and the Parquet pages are the same
                lot = valides.to_arrow(compat_level=pl.CompatLevel.newest())
                if ecrivain is None:
                    ecrivain = pq.ParquetWriter(
                        sortie,
                        lot.schema,
                        compression="zstd",
                        compression_level=NIVEAU_ZSTD,
                        write_statistics=False,  # no min/max in the lake (README, "Lake statistics")
                        store_schema=False,  # the columns' Parquet types say it all: no "string_view" left
                        # a patient id is nearly unique: a dictionary would be built and dropped (0.7 s)
                        use_dictionary=[n for n in lot.schema.names if n not in secrets],
                    )
                if ecriture:
                    ecriture.result()  # one batch waits to be written at most (memory), errors surface here
                ecriture = scribe.submit(ecrivain.write_table, lot)
                rapport.lignes_retenues += valides.height
                if mauvais.height:
                    (dossier / "quarantaine").mkdir(exist_ok=True)
                    if quarantaine is None:
                        quarantaine = pq.ParquetWriter(
                            dossier / "quarantaine" / f"{rapport.table}.parquet",
                            mauvais.to_arrow().schema,
                            compression="zstd",
                        )
                    quarantaine.write_table(mauvais.to_arrow())
                    rapport.lignes_quarantaine += mauvais.height
                    defauts.append(d)
            if ecriture:
                ecriture.result()
        finally:
            scribe.shutdown(wait=True)
            if ecrivain:
                ecrivain.close()
            if quarantaine:
                quarantaine.close()
    if ecrivain is None:  # header only
        pl.DataFrame(schema={n: c.dtype.type for n, c in schema.columns.items()}).write_parquet(sortie)
    rapport.defauts = _resume_defauts(defauts)


def _dedoublonner(
    table: Table, sortie: Path, dossier: Path, rapport: RapportTable, con: duckdb.DuckDBPyConnection
) -> None:
    """Identical duplicates of a keyed table are kept once; conflicting rows of one key go to quarantine.
    Two rows of one key have one 64-bit hash of it, so a table whose hashes are all distinct has no duplicate
    (``_hache_repete``); a repeated hash (a duplicate, or two keys that collide) sends the table to the exact
    grouping on the key."""
    cle = list(table.cle)
    if not _hache_repete(sortie, cle):
        return
    dup = (
        con.read_parquet(str(sortie))
        .aggregate([*[C(k) for k in cle], duckdb.FunctionExpression("count_star").alias("n")], ", ".join(cle))
        .filter(C("n") > K(1))
        .pl()
    )
    if dup.is_empty():
        return
    df = pl.read_parquet(sortie)
    en_double = df.join(dup.select(cle), on=cle, how="semi")
    distincts = en_double.unique(maintain_order=True)  # in delivered order: a re-ingest writes the same lake
    conflits = distincts.group_by(cle).agg(pl.len().alias("n")).filter(pl.col("n") > 1).select(cle)
    garde = pl.concat(
        [df.join(dup.select(cle), on=cle, how="anti"), distincts.join(conflits, on=cle, how="anti")]
    )
    rejet = en_double.join(conflits, on=cle, how="semi")
    rapport.doublons_identiques = (
        en_double.join(conflits, on=cle, how="anti").height
        - distincts.join(conflits, on=cle, how="anti").height
    )
    if rejet.height:
        q = rejet.cast(pl.String).with_columns(
            pl.lit(None, pl.Int64).alias("ligne"),
            pl.lit(f"clé {'+'.join(cle)} en double avec des valeurs différentes").alias("motifs"),
        )
        chemin = dossier / "quarantaine" / f"{table.nom}.parquet"
        chemin.parent.mkdir(exist_ok=True)
        if chemin.exists():
            q = pl.concat([pl.read_parquet(chemin), q], how="diagonal_relaxed")
        q.write_parquet(chemin)
        rapport.lignes_quarantaine += rejet.height
        rapport.defauts.append(
            {
                "colonne": "+".join(cle),
                "controle": "clé unique (valeurs différentes)",
                "nombre": rejet.height,
                "premieres_lignes": [],
            }
        )
    rapport.lignes_retenues = garde.height
    garde.write_parquet(sortie, compression="zstd")


def _hache_repete(f: Path, cle: list[str]) -> bool:
    """Whether two rows of the Parquet file ``f`` share a 64-bit hash of ``cle``: the hashes sorted, each
    compared with the next. IR_BEN_R national (65 M rows): 3.1 s, where DuckDB's grouping on the hash took
    9.7–10.8 s (a hash table of 65 M groups) and its count of distinct hashes 7.5–8.0 s."""
    h = pl.scan_parquet(f).select(pl.struct(cle).hash().alias("h")).collect()["h"].sort()
    return len(h) > 1 and bool((h.slice(1) == h.slice(0, len(h) - 1)).any())


def _message_seuil(r: RapportTable, part: float, seuil: float, annee: int) -> str:
    lignes = [
        f"{r.table}: {r.lignes_quarantaine:,} of {r.lignes_lues:,} rows are defective ({part:.3%}), "
        f"above the threshold of {seuil:.3%}; the ingest stops and year {annee} is left as it was."
    ]
    for d in r.defauts:
        lignes.append(
            f"  - {d['colonne']}: {d['controle']}: {d['nombre']:,} rows"
            + (f" (first rows {', '.join(map(str, d['premieres_lignes']))})" if d["premieres_lignes"] else "")
        )
    annees = [d for d in r.defauts if str(d["controle"]).startswith("dans l'année")]
    if annees and annees[0]["nombre"] > r.lignes_lues / 2:
        lignes.append(f"  Most rows fall outside {annee}: is this the extract of another year?")
    lignes.append(
        "  Fix the extract (or raise controles.seuil_quarantaine in a parameter overlay) and ingest again."
    )
    return "\n".join(lignes)

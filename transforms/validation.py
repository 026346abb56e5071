"""Parse and validate one batch of an extract table against its pandera model (schemas/sources.py).

Pure functions of frames: the ingest (flows/ingest.py) reads the files, passes batches here, and writes what
comes back. A batch yields the valid rows, typed as in the lake, and one row per defect found, with the row
number in the file, the column, the check and the offending value (never a patient identifier's value).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandera.polars as pa
import polars as pl

MASQUE = "<masqué>"
# integers and cents are parsed only from plain decimal text ('1.5', '1e3' or a third decimal are type
# defects, never rounded); the compiled engine (validation_polars.py) types with the same expressions
MOTIF_ENTIER = r"[+-]?[0-9]+"
MOTIF_MONTANT = r"[+-]?[0-9]+(\.[0-9]{1,2})?"
COLONNES_DEFAUTS = {"ligne": pl.Int64, "colonne": pl.String, "controle": pl.String, "valeur": pl.String}


@dataclass(frozen=True)
class Contexte:
    """What the checks of a table need beyond its model: the year, code lists, the year's cabinets."""

    annee: int
    codes: dict[tuple[str, str], list]  # (nomenclature, code column) -> allowed codes
    codes_specialite: list[int]  # IR_SPE_V ∪ IR_ACT_V codes (DA_PRA_R.PFS_PRA_SPE)
    cabinets: list[str] | None = None  # PFS_PFS_NUM of the year's DA_PRA_R
    date_nulle: date = date(1600, 1, 1)
    bornes: dict[str, dict] | None = (
        None  # "TABLE.COLUMN" -> {min, max, raison} (controles.bornes_plausibles)
    )


def schema_du_jour(modele: type[pa.DataFrameModel], ctx: Contexte) -> pa.DataFrameSchema:
    """The model's schema plus the checks its metadata asks for (nomenclatures, year N, known cabinets)."""
    schema = modele.to_schema()
    for nom, col in schema.columns.items():
        meta = col.metadata or {}
        extra = []
        if "nomenclature" in meta:
            extra.append(_parmi(ctx.codes[meta["nomenclature"]], f"nomenclature {meta['nomenclature'][0]}"))
        if meta.get("nomenclature_specialite"):
            extra.append(_parmi(ctx.codes_specialite, "nomenclature IR_SPE_V/IR_ACT_V"))
        if meta.get("annee"):
            if col.dtype.type == pl.Date:
                extra.append(
                    pa.Check.in_range(
                        date(ctx.annee, 1, 1), date(ctx.annee, 12, 31), error=f"dans l'année {ctx.annee}"
                    )
                )
            else:
                extra.append(pa.Check.equal_to(ctx.annee, error=f"dans l'année {ctx.annee}"))
        if meta.get("cabinet") and ctx.cabinets is not None:
            extra.append(_parmi(ctx.cabinets, "cabinet connu de DA_PRA_R"))
        borne = (ctx.bornes or {}).get(f"{modele.__name__}.{nom}")
        if borne:
            extra.append(_plausible(borne, texte=col.dtype.type == pl.String))
        if extra:
            schema = schema.update_column(nom, checks=list(col.checks) + extra)
    return schema


def _plausible(borne: dict, texte: bool) -> pa.Check:
    """The plausibility range of a column (on a text column: of its length in characters)."""
    mn, mx = borne.get("min"), borne.get("max")
    erreur = f"hors bornes plausibles [{'' if mn is None else mn}, {'' if mx is None else mx}]"
    if texte:
        return pa.Check.str_length(mn, mx, error=erreur + " (longueur)")
    if mn is not None and mx is not None:
        return pa.Check.in_range(mn, mx, error=erreur)
    return pa.Check.ge(mn, error=erreur) if mn is not None else pa.Check.le(mx, error=erreur)


def verifier_bornes(bornes: dict, modeles: dict[str, type[pa.DataFrameModel]]) -> None:
    """Raise ValueError when a plausibility range names an unknown table or column, or has the wrong kind of
    bound for its column (a date for a date, an integer for an integer or a text's length)."""
    fautes = []
    for cle, borne in bornes.items():
        table, _, colonne = cle.partition(".")
        champs = modeles[table].to_schema().columns if table in modeles else {}
        if colonne not in champs:
            fautes.append(f"{cle}: no such table column")
            continue
        attendu = date if champs[colonne].dtype.type == pl.Date else int
        for k in ("min", "max"):
            v = borne.get(k)
            if v is not None and (type(v) is not attendu):
                fautes.append(f"{cle}.{k}: {v!r} is not a {attendu.__name__}")
        if borne.get("min") is None and borne.get("max") is None or not borne.get("raison"):
            fautes.append(f"{cle}: a range needs a min or a max, and its raison")
    if fautes:
        raise ValueError("controles.bornes_plausibles: " + "; ".join(fautes))


def _parmi(valeurs: list, erreur: str) -> pa.Check:
    """``Check.isin(valeurs)``, its values handed to polars as one Series built once. ``Check.isin`` keeps a
    frozenset, which polars turns into a Series at every batch: with the 128 466 cabinets of a national year
    that was 0.12 s of the 0.34 s pandera spent on a batch of 2 M claim lines, 226 times."""
    return pa.Check.from_builtin_check_name(
        "isin",
        {},
        error=erreur,
        statistics={"allowed_values": valeurs},  # what the compiled engine and the messages read
        defaults={"determined_by_unique": True},
        allowed_values=pl.Series(valeurs).implode(),
    )


def colonnes_patient(schema: pa.DataFrameSchema) -> set[str]:
    return {n for n, c in schema.columns.items() if (c.metadata or {}).get("patient")}


def _texte(c: pl.Expr) -> pl.Expr:
    """A text field stripped of surrounding whitespace (text exports pad them), empty → null."""
    c = c.str.strip_chars()
    return pl.when(c.str.len_bytes() > 0).then(c)  # the same as when(c == "") but 25 % cheaper


def _expression(nom: str, dtype: pl.DataType, source: pl.DataType, meta: dict) -> pl.Expr:
    brut = pl.col(nom)
    if source != pl.String:
        if meta.get("montant"):
            if source in (pl.Float32, pl.Float64):
                return (brut * 100).round(0).cast(pl.Int64, strict=False)
            if isinstance(source, pl.Decimal) and source.scale == 2:  # stored as cents already
                return brut.to_physical().cast(pl.Int64, strict=False)
            return (brut.cast(pl.Decimal(18, 2), strict=False) * 100).cast(pl.Int64, strict=False)
        return brut.cast(dtype, strict=False)
    lire = _lecture(dtype, meta)
    if lire:
        return _sur_texte(brut, lire)
    c = _texte(brut)
    if dtype == pl.Boolean:
        b = c.str.to_lowercase()
        return (
            pl.when(b.is_in(["true", "1"]))
            .then(True)
            .when(b.is_in(["false", "0"]))
            .then(False)
            .otherwise(None)
        )
    return c.cast(dtype, strict=False)


def _lecture(dtype: pl.DataType, meta: dict):
    """How a text field of a column of type ``dtype`` is typed as written (no padding stripped), for the
    types a field can fail to parse into; None for text and booleans."""
    if meta.get("montant"):  # plain decimal text only: a third decimal is a defect, never rounded
        return lambda c: (  # a Decimal(18, 2) is stored as its cents: no multiplication (0.83 s → 0.59 s)
            pl.when(c.str.contains(f"^{MOTIF_MONTANT}$"))
            .then(c)
            .cast(pl.Decimal(18, 2), strict=False)
            .to_physical()
            .cast(pl.Int64, strict=False)
        )
    if dtype == pl.Int64:
        # Rust's integer parser takes exactly MOTIF_ENTIER ('+7', '01'; not '1.5', '1e3', '1_000', ' 7')
        return lambda c: c.cast(pl.Int64, strict=False)
    if dtype == pl.Date:
        return lambda c: c.str.to_date("%d/%m/%Y", strict=False)
    return None


def sans_date_nulle(e: pl.Expr, meta: dict, ctx: Contexte) -> pl.Expr:
    """A period's end date at the "none" date (01/01/1600) is null: the period has no end."""
    return pl.when(e == pl.lit(ctx.date_nulle)).then(None).otherwise(e) if meta.get("fin_periode") else e


def _sur_texte(brut: pl.Expr, lire) -> pl.Expr:
    """``lire`` applied to the field as written, and to the field stripped of its padding only where that
    fails: a value that reads as written has no padding, so stripping every field (the costly part) would
    change nothing."""
    v = lire(brut)
    return pl.when(v.is_null() & brut.is_not_null()).then(lire(_texte(brut))).otherwise(v)


def parser(
    brut: pl.DataFrame, schema: pa.DataFrameSchema, premiere_ligne: int, ctx: Contexte
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Type a batch as the model says; a value that does not parse is a defect of its row.

    A value fails to parse when the file has it (not null, not blank) and its typed value is null. A field
    is typed as written; only the rows where that fails (few) are stripped of their padding and typed again,
    and tested for blanks: the same result as ``_sur_texte``, whose choice between the two readings cost
    0.05 s of CPU per amount or date column of a batch of 2 M rows. A text column cannot fail, and a
    period's end date at the "none" date (01/01/1600) is null without being a defect."""
    secrets = colonnes_patient(schema)
    exprs, lectures = [], {}
    for nom, col in schema.columns.items():
        meta = col.metadata or {}
        if brut.schema[nom] == pl.String and (lire := _lecture(col.dtype.type, meta)):
            lectures[nom] = lire  # as written: the few fields that fail are read again stripped, below
            e = lire(pl.col(nom))
        else:
            e = _expression(nom, col.dtype.type, brut.schema[nom], meta)
        exprs.append(sans_date_nulle(e, meta, ctx).alias(nom))
    type_ = brut.lazy().select(exprs).collect()  # lazy: each field is read once (common subexpressions)
    lignes = pl.int_range(premiere_ligne, premiere_ligne + brut.height, dtype=pl.Int64, eager=True)
    defauts = []
    for nom, col in schema.columns.items():
        b = brut[nom]
        if col.dtype.type == pl.String and b.dtype == pl.String:
            continue
        candidats = type_[nom].is_null() & b.is_not_null()
        if not candidats.any():
            continue
        if nom in lectures:  # a padded field reads once stripped (_sur_texte, on these rows only)
            rangs = candidats.arg_true()
            meta = col.metadata or {}
            repris = (
                b.gather(rangs)
                .to_frame()
                .select(sans_date_nulle(lectures[nom](_texte(pl.col(nom))), meta, ctx))
            )
            lus = repris.to_series().is_not_null()
            if lus.any():
                type_ = type_.with_columns(
                    type_[nom].scatter(rangs.filter(lus), repris.to_series().filter(lus))
                )
                candidats = type_[nom].is_null() & b.is_not_null()
        valeurs = b.filter(candidats)
        masque = _present(valeurs)
        if (col.metadata or {}).get("fin_periode"):
            masque = masque & ~_est_date_nulle(valeurs, ctx.date_nulle).fill_null(False)
        if masque.any():
            valeurs = (
                valeurs.filter(masque).cast(pl.String).str.strip_chars()
            )  # as the compiled engine reports it
            lignes_ = lignes.filter(candidats).filter(masque)
            defauts.append(defauts_colonne(lignes_, nom, f"type {col.dtype}", valeurs, nom in secrets))
    return type_, _concat(defauts)


def defauts_colonne(
    lignes: pl.Series, colonne: str, controle: str, valeurs: pl.Series, secret: bool
) -> pl.DataFrame:
    """One defect row per row number of ``lignes``, with its value (masked for a patient id)."""
    return pl.DataFrame(
        {
            "ligne": lignes,
            "colonne": colonne,
            "controle": controle,
            "valeur": pl.repeat(MASQUE, valeurs.len(), eager=True) if secret else valeurs,
        },
        schema=COLONNES_DEFAUTS,
    )


def _present(b: pl.Series) -> pl.Series:
    """Not null, and for text not blank."""
    return b.is_not_null() & (b.str.strip_chars() != "") if b.dtype == pl.String else b.is_not_null()


def _est_date_nulle(b: pl.Series, nulle: date) -> pl.Series:
    if b.dtype == pl.String:
        return b.str.strip_chars().str.to_date("%d/%m/%Y", strict=False) == nulle
    return b.cast(pl.Date, strict=False) == nulle


def valider(type_: pl.DataFrame, schema: pa.DataFrameSchema, premiere_ligne: int) -> pl.DataFrame:
    """Every failure of the schema's checks on a typed batch, one row per (row, column, check)."""
    try:
        schema.validate(type_, lazy=True)
        return pl.DataFrame(schema=COLONNES_DEFAUTS)
    except pa.errors.SchemaErrors as e:
        fc = e.failure_cases
    secrets = colonnes_patient(schema)
    sans_ligne = fc.filter(pl.col("index").is_null())
    if sans_ligne.height:  # a check that could not run, or a schema-level failure: never drop it silently
        raise ValueError(
            "validation could not run: "
            + "; ".join(
                f"{r['check']}: {str(r['failure_case'])[:200]}" for r in sans_ligne.head(5).to_dicts()
            )
        )
    fc = fc.filter(pl.col("index").is_not_null())
    return fc.select(
        (pl.col("index").cast(pl.Int64) + premiere_ligne).alias("ligne"),
        pl.col("column").fill_null("(ligne)").alias("colonne"),
        pl.col("check").cast(pl.String).alias("controle"),
        pl.when(pl.col("column").is_in(list(secrets)))
        .then(pl.lit(MASQUE))
        .otherwise(pl.col("failure_case").cast(pl.String))
        .alias("valeur"),
    )


def _valeurs_brutes(d: pl.DataFrame, brut: pl.DataFrame, premiere_ligne: int) -> pl.DataFrame:
    """Report the value as written in the file ('1e3'), not as parsed (1000.0); masked values stay masked."""
    if d.is_empty():
        return d
    parties = []
    for (colonne,), g in d.group_by("colonne", maintain_order=True):
        if colonne in brut.columns:
            ecrit = brut[colonne].cast(pl.String).gather(g["ligne"] - premiere_ligne)
            g = g.with_columns(
                pl.when(pl.col("valeur") == MASQUE).then(pl.col("valeur")).otherwise(ecrit.str.strip_chars())
            )
        parties.append(g)
    return pl.concat(parties)


def _concat(frames: list[pl.DataFrame]) -> pl.DataFrame:
    return pl.concat(frames) if frames else pl.DataFrame(schema=COLONNES_DEFAUTS)


def traiter_lot(
    brut: pl.DataFrame, schema: pa.DataFrameSchema, premiere_ligne: int, ctx: Contexte, verifier=None
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(valid typed rows, defective raw rows with their reasons, defects) of one batch. The checks are
    pandera's, or ``verifier(type_, brut, premiere_ligne)`` when given: the same checks compiled to polars
    (``validation_polars.verificateur``)."""
    type_, d_parse = parser(brut, schema, premiere_ligne, ctx)
    if verifier is None:
        d_check = _valeurs_brutes(valider(type_, schema, premiere_ligne), brut, premiere_ligne)
    else:
        d_check = verifier(type_, brut, premiere_ligne)
    defauts = _concat([d_parse, d_check])
    if defauts.is_empty():
        return (
            type_,
            brut.head(0).with_columns(
                pl.lit(None, pl.Int64).alias("ligne"), pl.lit(None, pl.String).alias("motifs")
            ),
            defauts,
        )
    valeur = pl.col("valeur").fill_null("")  # an absent value (not_nullable) must not erase its reason
    motifs = defauts.group_by("ligne").agg(
        pl.concat_str(
            [pl.col("colonne"), pl.lit(": "), pl.col("controle"), pl.lit(" ("), valeur, pl.lit(")")]
        )
        .str.join("; ")
        .alias("motifs")
    )
    lignes = pl.int_range(premiere_ligne, premiere_ligne + brut.height, dtype=pl.Int64, eager=True).alias(
        "ligne"
    )
    mauvais = lignes.is_in(motifs["ligne"].implode())
    quarantaine = (  # filtered before the cast: casting the whole batch cost 0.3 s of 1.3 s
        brut.filter(mauvais)
        .cast(pl.String)
        .with_columns(lignes.filter(mauvais))
        .join(motifs, on="ligne", how="left")
    )
    return type_.filter(~mauvais), quarantaine, defauts

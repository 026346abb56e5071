"""The checks of a pandera model compiled to polars expressions, for tables too large to pass through pandera.

The pandera model (schemas/sources.py, plus the checks ``validation.schema_du_jour`` adds) stays the single
description of a table: this module reads its columns, types, nullability, checks and metadata and builds the
same typing (``validation._expression``, the one the batches use) and the same checks as polars expressions.
A Parquet table runs them as streaming queries (``plan``, ``defectueuses``, ``valides``): polars reads,
checks and writes the rows on every core, in file order, within a bounded memory. A CSV table, typed in
batches by ``validation.parser``, has each batch checked by ``verificateur``, the checks compiled once for
the table. ``tests/transforms/test_validation.py`` runs every engine, pandera's included, on corrupted rows
and asserts they find the same defects.

A model whose checks cannot all be compiled (a dataframe-level check such as ``DA_PRA_R``'s
``categorie_du_numero``, or a check kind not listed in ``_CONDITIONS``) is validated by pandera in batches
(``validation.traiter_lot``); ``compilable`` tells which.

Pure: builds expressions and lazy frames from a lazy frame it is given, and functions of frames; reading and
writing files is the ingest's job (flows/ingest.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandera.polars as pa
import polars as pl

from transforms.validation import (
    COLONNES_DEFAUTS,
    MASQUE,
    Contexte,
    _expression,
    _texte,
    colonnes_patient,
    defauts_colonne,
    sans_date_nulle,
)

SEP_DEFAUTS = "\x1e"  # between the defects of one row (machine-readable column ``defauts``)
SEP_CHAMPS = "\x1f"  # between colonne, controle and valeur of one defect


def _ou(conds: list[pl.Expr]) -> pl.Expr:
    return pl.any_horizontal(conds) if conds else pl.lit(False)


def _seuils(st: dict, e: pl.Expr) -> pl.Expr:
    mn, mx = st.get("min_value"), st.get("max_value")
    conds = []
    if mn is not None:
        conds.append(e < pl.lit(mn) if st.get("include_min", True) else e <= pl.lit(mn))
    if mx is not None:
        conds.append(e > pl.lit(mx) if st.get("include_max", True) else e >= pl.lit(mx))
    return _ou(conds)


def _longueur(st: dict, e: pl.Expr) -> pl.Expr:
    n = e.str.len_chars()
    if st.get("exact_value") is not None:
        return n != st["exact_value"]
    return _seuils({"min_value": st.get("min_value"), "max_value": st.get("max_value")}, n)


def _hors(valeurs, e: pl.Expr, dtype) -> pl.Expr:
    return ~e.is_in(pl.Series(sorted(valeurs), dtype=dtype).implode())


# check name -> failure condition on a non-null typed value of type ``dtype``
_CONDITIONS = {
    "str_length": lambda st, e, _: _longueur(st, e),
    "in_range": lambda st, e, _: _seuils(st, e),
    "greater_than_or_equal_to": lambda st, e, _: e < pl.lit(st["min_value"]),
    "greater_than": lambda st, e, _: e <= pl.lit(st["min_value"]),
    "less_than_or_equal_to": lambda st, e, _: e > pl.lit(st["max_value"]),
    "less_than": lambda st, e, _: e >= pl.lit(st["max_value"]),
    "equal_to": lambda st, e, _: e != pl.lit(st["value"]),
    "not_equal_to": lambda st, e, _: e == pl.lit(st["value"]),
    "isin": lambda st, e, t: _hors(st["allowed_values"], e, t),
    "notin": lambda st, e, t: ~_hors(st["forbidden_values"], e, t),
}


def compilable(schema: pa.DataFrameSchema) -> bool:
    """True when every check of the schema has a polars translation (no dataframe-level check)."""
    if schema.checks:
        return False
    return all(ch.name in _CONDITIONS for col in schema.columns.values() for ch in col.checks)


@dataclass(frozen=True)
class Plan:
    """What the ingest runs: the typed columns (and, beside them, what the checks need), then the defects."""

    colonnes: list[str]  # the lake columns, in the model's order
    lus: list[pl.Expr]  # each source column (renamed ``__b_<name>``) parsed, as ``__t_<name>``
    types: list[pl.Expr]  # then the lake columns, from ``__t_<name>`` (a period's "none" end date → null)
    aides: list[pl.Expr]  # beside them, what the checks need: ``__nul_<name>``, ``__vide_<name>``
    echec: pl.Expr  # TRUE when the row has a defect (cheap: no text is built)
    defauts: pl.Expr  # the row's defects, machine-readable (run on the failing rows only)
    motifs: pl.Expr  # the same defects, human-readable
    brut: list[pl.Expr]  # the source values as text, patient ids included (quarantine stays in the lake)


def _defaut(colonne: str, controle: str, condition: pl.Expr, valeur: pl.Expr) -> tuple:
    """(condition, machine-readable text, human-readable text) of one defect; texts null when it holds not."""
    v = valeur.fill_null("")
    machine = pl.concat_str([pl.lit(colonne + SEP_CHAMPS + controle + SEP_CHAMPS), v])
    humain = pl.concat_str([pl.lit(f"{colonne}: {controle} ("), v, pl.lit(")")])
    return condition, pl.when(condition).then(machine), pl.when(condition).then(humain)


def _controles(nom: str, col: pa.Column) -> list[tuple[str, pl.Expr]]:
    """(check, failure condition) of every check of a column but its type, on the typed column ``nom``."""
    t = pl.col(nom)
    controles = [("not_nullable", t.is_null())] if not col.nullable else []
    for ch in col.checks:
        echec = _CONDITIONS[ch.name](ch.statistics, t, col.dtype.type)
        controles.append((ch.error, t.is_not_null() & echec.fill_null(False)))
    return controles


def verificateur(schema: pa.DataFrameSchema) -> Callable[[pl.DataFrame, pl.DataFrame, int], pl.DataFrame]:
    """The checks of ``validation.valider`` (pandera's, the type excepted) compiled once for a table, as a
    function of a typed batch, its raw batch and the file row number of its first row that returns the same
    defects: one row per (row, column, check), the value as written (stripped), a patient id masked. It spares
    the ingest pandera's runtime: 0.12 s of CPU for a batch of 2 M claim lines at scale 0.1, not 0.17 s."""
    secrets = colonnes_patient(schema)
    controles = [(nom, c, e) for nom, col in schema.columns.items() for c, e in _controles(nom, col)]
    echec = _ou([e for *_, e in controles])

    def verifier(type_: pl.DataFrame, brut: pl.DataFrame, premiere_ligne: int) -> pl.DataFrame:
        masque = type_.select(echec).to_series()
        if not masque.any():
            return pl.DataFrame(schema=COLONNES_DEFAUTS)
        lignes = pl.int_range(premiere_ligne, premiere_ligne + type_.height, dtype=pl.Int64, eager=True)
        brut, lignes = brut.filter(masque), lignes.filter(masque)
        echecs = type_.filter(masque).select(e.alias(str(i)) for i, (*_, e) in enumerate(controles))
        defauts = []
        for (nom, controle, _), m in zip(controles, echecs.iter_columns(), strict=True):
            if m.any():
                valeurs = brut[nom].filter(m).cast(pl.String).str.strip_chars()
                defauts.append(defauts_colonne(lignes.filter(m), nom, controle, valeurs, nom in secrets))
        return pl.concat(defauts)

    return verifier


def plan(
    schema: pa.DataFrameSchema, ctx: Contexte, sources: dict[str, pl.DataType], csv: bool = True
) -> Plan:
    """Compile ``schema`` (from ``schema_du_jour``) for a source whose columns have the polars types
    ``sources``; ``csv`` tells whether the source is text (fields padded or not, stripped as pandera's batches
    strip them) or a Parquet extract (amounts in euros as decimals, dates as dates, strings as stored: only
    an empty string is taken as null; stripping every string would nearly triple the claims' check pass)."""
    secrets = colonnes_patient(schema)
    lus, types, aides, pieces, infaillibles = [], [], [], [], set()
    for nom, col in schema.columns.items():
        meta = col.metadata or {}
        src = sources[nom]
        b = pl.col(f"__b_{nom}")
        brut_vide = _texte(b) if csv else pl.when(b == "").then(None).otherwise(b)
        if src == pl.String and col.dtype.type == pl.String:
            avant = brut_vide  # text read as text cannot fail
            infaillibles.add(nom)
        else:
            avant = _expression(f"__b_{nom}", col.dtype.type, src, meta)
        lus.append(avant.alias(f"__t_{nom}"))
        avant = pl.col(f"__t_{nom}")  # parsed once, read by the lake column and by the type check
        vide = brut_vide.is_null() if src == pl.String else b.is_null()
        types.append(sans_date_nulle(avant, meta, ctx).alias(nom))
        aides += [avant.is_null().alias(f"__nul_{nom}"), vide.alias(f"__vide_{nom}")]
    for nom, col in schema.columns.items():
        valeur = pl.lit(MASQUE) if nom in secrets else _texte(pl.col(f"__b_{nom}").cast(pl.String))
        if nom not in infaillibles:
            type_ = ~pl.col(f"__vide_{nom}") & pl.col(f"__nul_{nom}")
            pieces.append(_defaut(nom, f"type {col.dtype}", type_, valeur))
        pieces += [_defaut(nom, controle, echec, valeur) for controle, echec in _controles(nom, col)]
    return Plan(
        colonnes=list(schema.columns),
        lus=lus,
        types=types,
        aides=aides,
        echec=_ou([p[0] for p in pieces]),
        defauts=pl.concat_str([p[1] for p in pieces], separator=SEP_DEFAUTS, ignore_nulls=True),
        motifs=pl.concat_str([p[2] for p in pieces], separator="; ", ignore_nulls=True),
        brut=[pl.col(f"__b_{n}").cast(pl.String).alias(n) for n in schema.columns],
    )


def _renommee(source: pl.LazyFrame, p: Plan, ligne: str | None) -> pl.LazyFrame:
    return source.select(*([ligne] if ligne else []), *[pl.col(n).alias(f"__b_{n}") for n in p.colonnes])


def controlee(source: pl.LazyFrame, p: Plan, ligne: str | None = None) -> pl.LazyFrame:
    """``source`` typed and checked: the lake columns, ``__echec`` (the row has a defect), what the defects
    are built from, and the column ``ligne`` (the row number in the file) when named."""
    r = _renommee(source, p, ligne).with_columns(*p.lus)
    return r.with_columns(*p.types, *p.aides).with_columns(p.echec.alias("__echec"))


def defectueuses(source: pl.LazyFrame, p: Plan, ligne: str) -> pl.LazyFrame:
    """The rows with a defect: their source values as text, row number, and defects (human and machine)."""
    return (
        controlee(source, p, ligne)
        .filter(pl.col("__echec"))
        .select(
            *p.brut,
            pl.col(ligne).cast(pl.Int64).alias("ligne"),
            p.motifs.alias("motifs"),
            p.defauts.alias("defauts"),
        )
    )


def valides(source: pl.LazyFrame, p: Plan, ligne: str, defauts: pl.Series) -> pl.LazyFrame:
    """The rows of ``source`` whose number (column ``ligne``) is not among ``defauts`` (the ``ligne`` of
    ``defectueuses``), typed as in the lake, in file order. The checks are not run again: the rows found
    defective by the same plan are left out by number (the claims of scale 0.1 are written in 5.9 s so,
    against 7.9 s when the checks run again in the writing pass)."""
    r = _renommee(source, p, ligne)
    if len(defauts):
        r = r.filter(~pl.col(ligne).is_in(defauts.implode()))
    return r.with_columns(*p.lus).select(*p.types)

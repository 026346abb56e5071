"""The checks of a pandera model, compiled to DuckDB expressions, for tables too large to pass through Python.

The pandera model (schemas/sources.py, plus the checks ``validation.schema_du_jour`` adds) stays the single
description of a table: this module reads its columns, types, nullability, checks and metadata and builds the
same parsing and the same checks as DuckDB expressions (through DuckDB's expression API, constants bound as
values, no SQL text assembled from data). ``tests/test_validation_moteurs.py`` runs both engines on the
bad-input corpus and asserts they find the same defects.

A model whose checks cannot all be compiled (a dataframe-level check such as ``DA_PRA_R``'s
``categorie_du_numero``, or a check kind not listed in ``_CONDITIONS``) is validated by pandera in batches
(``validation.traiter_lot``); ``compilable`` tells which.

Pure: builds expressions and relations from a relation it is given; reading and writing files is the
ingest's job (flows/ingest.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandera.polars as pa
import polars as pl

from transforms.validation import MASQUE, MOTIF_ENTIER, MOTIF_MONTANT, Contexte, colonnes_patient

C = duckdb.ColumnExpression
K = duckdb.ConstantExpression
F = duckdb.FunctionExpression

SEP_DEFAUTS = "\x1e"  # between the defects of one row (machine-readable column ``defauts``)
SEP_CHAMPS = "\x1f"  # between colonne, controle and valeur of one defect

_TYPES = {
    pl.Int64: "BIGINT",
    pl.String: "VARCHAR",
    pl.Date: "DATE",
    pl.Boolean: "BOOLEAN",
    pl.Float64: "DOUBLE",
}


def _t(nom: str) -> duckdb.DuckDBPyType:
    return duckdb.sqltype(nom)


def _seuils(st: dict, e: duckdb.Expression) -> duckdb.Expression:
    mn, mx = st.get("min_value"), st.get("max_value")
    conds = []
    if mn is not None:
        conds.append(e < K(mn) if st.get("include_min", True) else e <= K(mn))
    if mx is not None:
        conds.append(e > K(mx) if st.get("include_max", True) else e >= K(mx))
    return _ou(conds)


def _ou(conds: list[duckdb.Expression]) -> duckdb.Expression:
    out = conds[0]
    for c in conds[1:]:
        out = out | c
    return out


def _longueur(st: dict, e: duckdb.Expression) -> duckdb.Expression:
    n = F("length", e)
    if st.get("exact_value") is not None:
        return n != K(st["exact_value"])
    return _seuils({"min_value": st.get("min_value"), "max_value": st.get("max_value")}, n)


# check name -> failure condition on a non-null typed value
_CONDITIONS = {
    "str_length": _longueur,
    "in_range": _seuils,
    "greater_than_or_equal_to": lambda st, e: e < K(st["min_value"]),
    "greater_than": lambda st, e: e <= K(st["min_value"]),
    "less_than_or_equal_to": lambda st, e: e > K(st["max_value"]),
    "less_than": lambda st, e: e >= K(st["max_value"]),
    "equal_to": lambda st, e: e != K(st["value"]),
    "not_equal_to": lambda st, e: e == K(st["value"]),
    "isin": None,  # handled apart: short lists inline, long lists by join
    "notin": lambda st, e: e.isin(*[K(v) for v in st["forbidden_values"]]),
}


def compilable(schema: pa.DataFrameSchema) -> bool:
    """True when every check of the schema has a DuckDB translation (no dataframe-level check)."""
    if schema.checks:
        return False
    return all(ch.name in _CONDITIONS for col in schema.columns.values() for ch in col.checks)


@dataclass(frozen=True)
class Liste:
    """An ``isin`` check. Testing each row against a list of values costs a join per list (DuckDB turns IN
    lists into joins); instead the column's distinct values are read first (a cheap pass) and only the values
    outside the list are tested row by row (usually none)."""

    colonne: str
    rang: int  # index of the check among the column's checks
    valeurs: frozenset

    @property
    def cle(self) -> str:
        return f"{self.colonne}#{self.rang}"


def listes(schema: pa.DataFrameSchema) -> list[Liste]:
    return [
        Liste(nom, i, frozenset(ch.statistics["allowed_values"]))
        for nom, col in schema.columns.items()
        for i, ch in enumerate(col.checks)
        if ch.name == "isin"
    ]


def distincts(
    source: duckdb.DuckDBPyRelation,
    schema: pa.DataFrameSchema,
    sources: dict[str, str],
    liste: Liste,
    csv: bool = True,
):
    """The relation of the distinct typed values of the list's column in ``source``."""
    col = schema.columns[liste.colonne]
    e = _type(liste.colonne, col.dtype.type, sources[liste.colonne], col.metadata or {}, csv)
    return source.select(e.alias("v")).filter(C("v").isnotnull()).distinct()


def interdites(liste: Liste, vues: list) -> tuple:
    """The values seen in the column that the list does not allow."""
    return tuple(sorted(v for v in vues if v not in liste.valeurs))


def _texte(brut: duckdb.Expression, csv: bool) -> duckdb.Expression:
    """A text field, empty → NULL. CSV fields are trimmed (text exports pad them), only where they start or
    end with a space: trimming every value costs more than the whole validation. Parquet strings are taken
    as stored."""
    if not csv:
        return F("nullif", brut, K(""))
    bord = F("starts_with", brut, K(" ")) | F("ends_with", brut, K(" "))
    vide = F("nullif", brut, K(""))
    return duckdb.CaseExpression(bord, F("nullif", F("trim", brut), K(""))).otherwise(vide)


def _type(nom: str, dtype, source: str, meta: dict, csv: bool) -> duckdb.Expression:
    """The typed value of column ``nom`` read from a column of DuckDB type ``source`` (before 1600 → null)."""
    brut = C(nom)
    cible = _t(_TYPES[dtype])
    if source == "VARCHAR":
        s = _texte(brut, csv)
        if meta.get("montant"):
            ok = F("regexp_full_match", s, K(MOTIF_MONTANT))
            montant = (s.try_cast(_t("DECIMAL(18,2)")) * K(100)).try_cast(cible)  # try: 20 digits overflow
            return duckdb.CaseExpression(ok, montant).otherwise(K(None))
        if dtype == pl.Int64:
            return duckdb.CaseExpression(
                F("regexp_full_match", s, K(MOTIF_ENTIER)), s.try_cast(cible)
            ).otherwise(K(None))
        if dtype == pl.Date:
            return F("try_strptime", s, K("%d/%m/%Y")).cast(cible)
        if dtype == pl.Boolean:
            b = F("lower", s)
            return (
                duckdb.CaseExpression(b.isin(K("true"), K("1")), K(True))
                .when(b.isin(K("false"), K("0")), K(False))
                .otherwise(K(None))
            )
        if dtype == pl.Float64:  # DuckDB reads '1_000' as 1000; the model's reader does not
            return duckdb.CaseExpression(F("contains", s, K("_")), K(None)).otherwise(s.try_cast(cible))
        return s.try_cast(cible)
    if meta.get("montant"):
        if source in ("DOUBLE", "FLOAT"):
            return F("round", brut * K(100)).try_cast(cible)
        return (brut.cast(_t("DECIMAL(18,2)")) * K(100)).try_cast(cible)
    return brut.try_cast(cible)


def _vide(nom: str, source: str, csv: bool) -> duckdb.Expression:
    if source == "VARCHAR":
        return _texte(C(nom), csv).isnull()
    return C(nom).isnull()


def _defaut(colonne: str, controle: str, condition, valeur) -> tuple:
    """(condition, machine-readable text, human-readable text) of one defect; texts NULL when it holds not."""
    v = valeur  # concat() treats NULL as empty
    machine = F("concat", K(colonne + SEP_CHAMPS + controle + SEP_CHAMPS), v)
    humain = F("concat", K(f"{colonne}: {controle} ("), v, K(")"))
    return (
        condition,
        duckdb.CaseExpression(condition, machine).otherwise(K(None)),
        duckdb.CaseExpression(condition, humain).otherwise(K(None)),
    )


@dataclass(frozen=True)
class Plan:
    """What the ingest runs: typed columns from the source, the joins of long lists, then the defects."""

    types: list[duckdb.Expression]  # first projection: typed columns + the source columns as __b_<name>
    colonnes: list[str]  # the lake columns, in the model's order
    echec: duckdb.Expression  # TRUE when the row has a defect (cheap: no text is built for valid rows)
    defauts: duckdb.Expression  # the row's defects, machine-readable (meaningful for failing rows only)
    motifs: duckdb.Expression  # the same defects, human-readable
    brut: list[
        duckdb.Expression
    ]  # the source values as text, patient ids included (quarantine stays in lake)


def plan(
    schema: pa.DataFrameSchema,
    ctx: Contexte,
    sources: dict[str, str],
    interdits: dict[str, tuple],
    csv: bool = True,
) -> Plan:
    """Compile ``schema`` (from ``schema_du_jour``) for a source of column types ``sources`` (DuckDB);
    ``interdits`` holds, for each list (``Liste.cle``), the values seen that it does not allow; ``csv`` tells
    whether the source is text (fields trimmed) or Parquet (strings as stored)."""
    secrets = colonnes_patient(schema)
    types, pieces = [], []
    nulle = K(ctx.date_nulle)
    for nom, col in schema.columns.items():
        meta = col.metadata or {}
        src = sources[nom]
        avant = _type(nom, col.dtype.type, src, meta, csv)
        final = (
            duckdb.CaseExpression(avant == nulle, K(None)).otherwise(avant)
            if meta.get("fin_periode")
            else avant
        )
        types.append(final.alias(nom))
        types.append(avant.isnull().alias(f"__nul_{nom}"))
        types.append(C(nom).alias(f"__b_{nom}"))
        types.append(_vide(nom, src, csv).alias(f"__vide_{nom}"))
    for nom, col in schema.columns.items():
        valeur = K(MASQUE) if nom in secrets else _texte(C(f"__b_{nom}").cast(_t("VARCHAR")), True)
        t = C(nom)
        pieces.append(_defaut(nom, f"type {col.dtype}", ~C(f"__vide_{nom}") & C(f"__nul_{nom}"), valeur))
        if not col.nullable:
            pieces.append(_defaut(nom, "not_nullable", t.isnull(), valeur))
        for i, ch in enumerate(col.checks):
            st = ch.statistics
            if ch.name == "isin":
                hors = interdits[Liste(nom, i, frozenset()).cle]
                echec = t.isin(*[K(v) for v in hors]) if hors else K(False)
            else:
                echec = _CONDITIONS[ch.name](st, t)
            pieces.append(_defaut(nom, ch.error, t.isnotnull() & echec, valeur))
    machine = F("concat_ws", K(SEP_DEFAUTS), *[p[1] for p in pieces])
    humain = F("concat_ws", K("; "), *[p[2] for p in pieces])
    brut = [C(f"__b_{n}").cast(_t("VARCHAR")).alias(n) for n in schema.columns]
    return Plan(
        types=types,
        colonnes=list(schema.columns),
        echec=_ou([p[0] for p in pieces]),
        defauts=machine,
        motifs=humain,
        brut=brut,
    )


def relation_controlee(source: duckdb.DuckDBPyRelation, p: Plan, ligne) -> duckdb.DuckDBPyRelation:
    """``source`` typed and checked: the lake columns, ``__ligne`` (``ligne``: the row number in the file),
    ``__echec`` (the row has a defect), ``__defauts`` and ``__motifs`` (its defects as text, NULL for a valid
    row) and the raw values (``__b_*``)."""
    r = source.select(*p.types, ligne.alias("__ligne"))
    r = r.select(*[C(n) for n in r.columns], p.echec.alias("__echec"))
    return r.select(
        *[C(n) for n in p.colonnes],
        C("__ligne"),
        C("__echec"),
        duckdb.CaseExpression(C("__echec"), p.defauts).otherwise(K(None)).alias("__defauts"),
        duckdb.CaseExpression(C("__echec"), p.motifs).otherwise(K(None)).alias("__motifs"),
        *[C(f"__b_{n}") for n in p.colonnes],
    )

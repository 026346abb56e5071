"""What every rule shares: the frame of results, the yearly forfaits' due date and lines, exact arithmetic.

A rule takes the models it declares in the registry (transforms/registre.py), e.g. ``activite_medecins`` (one
row per doctor of year N, transforms/sql/marts/activite_medecins.sql), and returns one row per beneficiary
evaluated: the measured values it read, one ``critere_*`` boolean per condition of its text,
``est_eligible`` and ``montant_centimes``. The registry turns that frame into justifications and payment
lines (transforms/paiements.py); a rule is only ever asked for a year in which it is in force.
"""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import polars as pl

from transforms.parametres import JeuParametres


def echeance_forfaits_annuels(p: JeuParametres, annee: int) -> date:
    """Due date in N+1 of the yearly forfaits (§2–5) and of the CPTS funding (§9): the payment calendar."""
    mm, jj = (int(x) for x in str(p.a("commun", "echeance_forfaits_annuels", date(annee, 1, 1))).split("-"))
    return date(annee + 1, mm, jj)


def hors_vigueur(population: pl.DataFrame, dispositif: str, annee: int, id_col: str = "ps") -> pl.DataFrame:
    """Every beneficiary, with the one reason the rule gives nothing: it does not exist for year N."""
    return population.select(
        id_col,
        pl.lit(annee).alias("annee_reference"),
        pl.lit(dispositif).alias("dispositif"),
        pl.lit(False).alias("en_vigueur"),
        pl.lit(False).alias("est_eligible"),
        pl.lit(0, pl.Int64).alias("montant_centimes"),
    )


def resultat(
    df: pl.DataFrame, dispositif: str, annee: int, mesures: list[str], montant: pl.Expr, id_col: str = "ps"
) -> pl.DataFrame:
    """Common shape: ``est_eligible`` = every ``critere_*`` holds; amount 0 when not eligible."""
    criteres = [c for c in df.columns if c.startswith("critere_")]
    eligible = pl.all_horizontal(criteres)
    return df.select(
        id_col,
        pl.lit(annee).alias("annee_reference"),
        pl.lit(dispositif).alias("dispositif"),
        pl.lit(True).alias("en_vigueur"),
        eligible.alias("est_eligible"),
        pl.when(eligible).then(montant).otherwise(0).cast(pl.Int64).alias("montant_centimes"),
        *mesures,
        *criteres,
    )


def lignes_forfait_annuel(resultat: pl.DataFrame, p: JeuParametres, annee: int) -> pl.DataFrame:
    """One FORFAIT row per eligible beneficiary with an amount, due on the yearly forfaits' date of N+1.

    The beneficiary is the result's first column (``ps`` for a doctor, ``cpts_id`` for a CPTS)."""
    return resultat.filter(pl.col("est_eligible") & (pl.col("montant_centimes") > 0)).select(
        resultat.columns[0],
        pl.lit("FORFAIT").alias("nature_versement"),
        pl.lit(echeance_forfaits_annuels(p, annee)).alias("echeance"),
        "montant_centimes",
    )


def arrondi(num: pl.Expr, den: pl.Expr | int) -> pl.Expr:
    """num / den to the nearest integer, half up, for num ≥ 0 and den > 0, in integers (cents stay exact)."""
    return (2 * num + den) // (2 * den)


def fraction(part: float | str) -> tuple[int, int]:
    """A share of a parameter file (0.02) as an exact fraction (1, 50), to compare counts in integers."""
    f = Fraction(str(part))
    return f.numerator, f.denominator

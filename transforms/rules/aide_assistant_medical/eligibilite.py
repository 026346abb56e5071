"""Aide à l'emploi d'un assistant médical, §6.1 : who is eligible at a date, against the reference thresholds.

Règle : voir transforms/rules/aide_assistant_medical/__init__.py (seed 003, « Conditions d'éligibilité »,
« Les exceptions » ; rules.md §1, §6.1). The list of year N is evaluated at 31/12/N; the same conditions are
checked at the signature date of the contracts signed during N (``contrats.py``, control list).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date

import polars as pl

from transforms.parametres import JeuParametres
from transforms.rules.commun import fraction, resultat

DISPOSITIF = "AIDE_ASSISTANT_MEDICAL"
REGLE = "aide_assistant_medical"
SCHEMA_SEUILS = {
    "specialite": pl.Int64,
    "p30": pl.Int64,
    "p90": pl.Int64,
    "p95": pl.Int64,
    "source": pl.String,
}


class ReferenceManquante(LookupError):
    """The reference distribution a doctor needs is not available (its year is not in the lake)."""


def annee_reference(p: JeuParametres, annee: int) -> int:
    """The year R of the reference distribution (31/12/R) the aid reads for N."""
    return int(p.a(REGLE, "annee_distribution_reference", date(annee, 12, 31)))


def selon_date(p: JeuParametres, nom: str, d: pl.Expr, f: Callable[[object], pl.Expr]) -> pl.Expr:
    """``f(value)`` of the parameter in force at the row's date ``d`` (null before its first date)."""
    expr = pl.lit(None)
    for v in p.parametre(REGLE, nom).valeurs:
        expr = pl.when(d >= pl.lit(v.debut)).then(f(v.valeur)).otherwise(expr)
    return expr


# -- reference thresholds (rules.md §1) ---------------------------------------------------------------------


def specialites_evaluees(activite_medecins: pl.DataFrame, contrats: pl.DataFrame) -> list[int]:
    """Specialties whose reference thresholds the aid needs: in-scope doctors' and contract holders'."""
    porteurs = activite_medecins.join(contrats.select("ps").unique(), on="ps", how="semi")
    s = pl.concat([activite_medecins.filter(pl.col("est_dans_champ")), porteurs])["specialite"]
    return sorted(int(x) for x in s.drop_nulls().unique())


def seuils_reference(
    percentiles: pl.DataFrame | None, p: JeuParametres, annee: int, specialites: Iterable[int]
) -> pl.DataFrame:
    """P30 / P90 / P95 per specialty on the reference distribution of year R, for the specialties asked.

    ``percentiles`` is the long table of transforms/sql/percentiles.sql for year R, or None when R is not in
    the lake: then the published GP thresholds stand for the GPs and any other specialty is an error naming
    the missing year.
    """
    d = date(annee, 12, 31)
    r = annee_reference(p, annee)
    k_p30 = int(p.a(REGLE, "percentile_eligibilite", d))
    bandes = p.a(REGLE, "percentiles_bandes", d)
    voulus = {"p30": k_p30, "p90": int(bandes["P90"]), "p95": int(bandes["P95"])}
    specialites = sorted({int(s) for s in specialites})
    schema = SCHEMA_SEUILS
    if percentiles is not None:
        large = (
            percentiles.filter(pl.col("percentile").is_in(list(voulus.values())))
            .pivot(on="percentile", index="specialite", values="seuil")
            .rename({str(v): k for k, v in voulus.items()})
        )
        return (
            pl.DataFrame({"specialite": specialites}, schema={"specialite": pl.Int64})
            .join(large.with_columns(pl.col("specialite").cast(pl.Int64)), on="specialite", how="left")
            .with_columns(pl.lit(f"distribution nationale au 31/12/{r}").alias("source"))
            .select([pl.col(c).cast(t) for c, t in schema.items()])
        )
    generalistes = {int(x) for x in p.a("commun", "specialites_generalistes", d)}
    autres = [s for s in specialites if s not in generalistes]
    if autres:
        raise ReferenceManquante(
            f"aide_assistant_medical needs the national distribution of 31/12/{r} for specialties "
            f"{autres}: year {r} is not in the lake (only the GP thresholds are published); ingest it "
            f"(forfaits ingest --extract DIR --year {r} --lake LAKE) and run again"
        )
    publies = p.a(REGLE, "seuils_publies", d)
    return pl.DataFrame(
        [
            {
                "specialite": s,
                "p30": int(publies[f"P{k_p30}"]),
                "p90": int(publies[f"P{voulus['p90']}"]),
                "p95": int(publies[f"P{voulus['p95']}"]),
                "source": f"seuils publiés (distribution du 31/12/{r})",
            }
            for s in specialites
        ],
        schema=schema,
    )


# -- eligibility (rules.md §6.1) -----------------------------------------------------------------------------


def criteres_a_la_date(df: pl.DataFrame, d: pl.Expr, p: JeuParametres) -> pl.DataFrame:
    """The conditions of §6.1 at date ``d`` (a date column or literal), on rows carrying ``secteur``,
    ``est_optam_d``, ``specialite``, fees of N, ``valeur_activite`` and ``p30``."""
    spe = pl.col("specialite")
    total = pl.col("honoraires_sans_depassement_centimes")
    ccam = pl.col("honoraires_ccam_centimes")
    soumis = selon_date(p, "specialites_test_ccam", d, lambda v: spe.is_in([int(x) for x in v]))
    # CCAM / total < share, compared in integers (share = num/den): ccam × den < total × num, total > 0
    part_ccam_ok = selon_date(
        p,
        "seuil_part_ccam",
        d,
        lambda v: (total > 0) & (ccam * fraction(v)[1] < total * fraction(v)[0]),
    )
    return df.with_columns(
        soumis.alias("soumis_test_ccam"),
        pl.when(total > 0).then(ccam / total).alias("part_ccam"),
        pl.col("est_dans_champ").alias("critere_dans_champ"),
        ((pl.col("secteur") == 1) | ((pl.col("secteur") == 2) & pl.col("est_optam_d"))).alias(
            "critere_secteur_1_ou_optam"
        ),
        (~selon_date(p, "specialites_exclues", d, lambda v: spe.is_in([int(x) for x in v]))).alias(
            "critere_specialite_ouverte"
        ),
        (~soumis | part_ccam_ok).alias("critere_part_ccam"),
        (pl.col("p30").is_not_null() & (pl.col("valeur_activite") >= pl.col("p30"))).alias(
            "critere_activite_p30"
        ),
    ).with_columns(pl.col(c).fill_null(False) for c in CRITERES_ELIGIBILITE)


CRITERES_ELIGIBILITE = [
    "critere_dans_champ",
    "critere_secteur_1_ou_optam",
    "critere_specialite_ouverte",
    "critere_part_ccam",
    "critere_activite_p30",
]


def eligibilite(
    activite_medecins: pl.DataFrame, seuils_reference: pl.DataFrame, p: JeuParametres, annee: int
) -> pl.DataFrame:
    """One row per doctor of ``activite_medecins``: eligible to the aid at 31/12/N (the list of §6.1)."""
    fin = date(annee, 12, 31)
    df = activite_medecins.join(
        seuils_reference.select("specialite", "p30"), on="specialite", how="left"
    ).with_columns(
        pl.col("est_optam").alias("est_optam_d"),
        pl.when(pl.col("est_generaliste"))
        .then(pl.col("patientele_mt"))
        .otherwise(pl.col("file_active"))
        .alias("valeur_activite"),
    )
    df = criteres_a_la_date(df, pl.lit(fin), p)
    mesures = [
        "specialite",
        "secteur",
        "est_optam",
        "soumis_test_ccam",
        "honoraires_sans_depassement_centimes",
        "honoraires_ccam_centimes",
        "part_ccam",
        "valeur_activite",
        "p30",
    ]
    return resultat(df, DISPOSITIF, annee, mesures, pl.lit(0, pl.Int64))

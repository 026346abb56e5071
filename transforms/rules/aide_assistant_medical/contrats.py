"""Aide à l'emploi d'un assistant médical, §6.2–6.4 : each contract signed by 31/12/N, its band, its
achievement, and every installment due in N+1.

Règle : voir transforms/rules/aide_assistant_medical/__init__.py (seed 003, « Options et montants »,
« Versement de l'aide à l'emploi » ; rules.md §6.2–6.4), choices included.
"""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import polars as pl

from transforms.parametres import JeuParametres
from transforms.rules.aide_assistant_medical.eligibilite import (
    CRITERES_ELIGIBILITE,
    DISPOSITIF,
    REGLE,
    criteres_a_la_date,
    selon_date,
)
from transforms.rules.commun import arrondi, fraction

CLASSES = {1: "annee_1", 2: "annee_2"}  # contract years 3 and later: "annee_3_et_plus"
SCHEMA_CONTROLES = {
    "reference_contrat": pl.String,
    "beneficiaire_id": pl.String,
    "cabinet": pl.String,
    "date_signature": pl.Date,
    "motifs": pl.List(pl.String),
}


def table_montants(p: JeuParametres) -> pl.DataFrame:
    """Every dated amount table as rows (debut, bande, classe, option, montant_annuel); null = closed."""
    lignes = []
    for v in p.parametre(REGLE, "montants_centimes").valeurs:
        for bande, classes in v.valeur.items():
            for classe, options in classes.items():
                for option, montant in options.items():
                    lignes.append(
                        {
                            "table_du": v.debut,
                            "bande": bande,
                            "classe": classe,
                            "option": option,
                            "montant_annuel": None if montant is None else int(montant),
                        }
                    )
    schema = {
        "table_du": pl.Date,
        "bande": pl.String,
        "classe": pl.String,
        "option": pl.String,
        "montant_annuel": pl.Int64,
    }
    return pl.DataFrame(lignes, schema=schema).sort("table_du")


def contrats_evalues(
    contrats: pl.DataFrame, activite: pl.DataFrame, seuils: pl.DataFrame, p: JeuParametres, annee: int
) -> pl.DataFrame:
    """One row per contract signed by 31/12/N: doctor, band, achievement rate, checks at signature."""
    medecins = activite.select(
        "ps",
        "specialite",
        "est_generaliste",
        "est_dans_champ",
        "secteur",
        "honoraires_sans_depassement_centimes",
        "honoraires_ccam_centimes",
        "patientele_mt",
        "file_active",
    )
    df = (
        contrats.join(medecins, on="ps", how="left")
        .join(seuils.select("specialite", "p30", "p90", "p95"), on="specialite", how="left")
        .with_columns(
            pl.when(pl.col("valeur_initiale") >= pl.col("p95"))
            .then(pl.lit("P95"))
            .when(pl.col("valeur_initiale") >= pl.col("p90"))
            .then(pl.lit("P90"))
            .otherwise(pl.lit("STANDARD"))
            .alias("bande"),
            pl.when(pl.col("indicateur") == "PATIENTELE_MT")
            .then(pl.col("patientele_mt"))
            .otherwise(pl.col("file_active"))
            .alias("valeur_mesuree"),
            pl.col("ps").is_not_null().alias("critere_cabinet_connu"),
            selon_date(p, "options_ouvertes", pl.col("date_signature"), lambda v: pl.col("option").is_in(v))
            .fill_null(False)
            .alias("critere_option_ouverte"),
        )
    )
    progression = pl.col("objectif") > pl.col("valeur_initiale")
    m, ini, obj = pl.col("valeur_mesuree"), pl.col("valeur_initiale"), pl.col("objectif")
    df = df.with_columns(
        pl.when(progression)
        .then((m - ini).clip(0, obj - ini))
        .when(ini > 0)
        .then(m.clip(0, ini))
        .otherwise(1)
        .alias("taux_num"),
        pl.when(progression).then(obj - ini).when(ini > 0).then(ini).otherwise(1).alias("taux_den"),
    )
    # the §6.1 check at signature, for the contracts signed during N (reported, never blocking)
    signes = df.filter(pl.col("est_signe_en_n") & pl.col("critere_cabinet_connu")).with_columns(
        pl.col("est_optam_signature").alias("est_optam_d"),
        pl.when(pl.col("est_generaliste"))
        .then(pl.col("patientele_mt_signature"))
        .otherwise(pl.col("file_active"))
        .alias("valeur_activite"),
    )
    signes = criteres_a_la_date(signes, pl.col("date_signature"), p).select(
        "reference_contrat",
        pl.concat_list(
            [pl.when(~pl.col(c)).then(pl.lit(c.removeprefix("critere_"))) for c in CRITERES_ELIGIBILITE]
        )
        .list.drop_nulls()
        .alias("controle_signature"),
        pl.col("valeur_activite").alias("activite_a_la_signature"),
    )
    return df.join(signes, on="reference_contrat", how="left")


def echeances(contrats: pl.DataFrame, p: JeuParametres, annee: int) -> pl.DataFrame:
    """Every installment due in N+1 of the evaluated contracts (rules.md §6.4), with its computation."""
    fin_n1 = date(annee + 1, 12, 31)
    prem = int(p.a(REGLE, "premiere_annee_objectif", fin_n1))
    mois = int(p.a(REGLE, "delai_versement_annee_1_mois", fin_n1))
    num_ac, den_ac = fraction(p.a(REGLE, "part_acompte", fin_n1))
    payables = contrats.filter(pl.col("critere_cabinet_connu") & pl.col("critere_option_ouverte"))
    sig = pl.col("date_signature")
    j = pl.lit(annee + 1) - sig.dt.year()  # the anniversary falling in N+1

    def anniv(k: pl.Expr) -> pl.Expr:
        return sig.dt.offset_by(pl.format("{}y", k))

    annee_1 = payables.with_columns(
        pl.lit("FORFAIT").alias("nature_versement"),
        pl.lit(1).alias("annee_contrat"),
        sig.dt.offset_by(f"{mois}mo").alias("echeance"),
        sig.alias("debut_annee_contrat"),
    )
    debut_suivante = payables.with_columns(  # at anniversary j starts contract year j + 1
        pl.when(j + 1 < prem).then(pl.lit("FORFAIT")).otherwise(pl.lit("ACOMPTE")).alias("nature_versement"),
        (j + 1).alias("annee_contrat"),
        anniv(j).alias("echeance"),
        anniv(j).alias("debut_annee_contrat"),
    ).filter(pl.col("annee_contrat") >= 2)
    soldes = payables.with_columns(  # at anniversary j ends contract year j
        pl.lit("SOLDE").alias("nature_versement"),
        j.alias("annee_contrat"),
        anniv(j).alias("echeance"),
        anniv(j - 1).alias("debut_annee_contrat"),
    ).filter(pl.col("annee_contrat") >= prem)
    cols = ["nature_versement", "annee_contrat", "echeance", "debut_annee_contrat"]
    e = (
        pl.concat([x.select("reference_contrat", *cols) for x in (annee_1, debut_suivante, soldes)])
        .filter(pl.col("echeance").dt.year() == annee + 1)
        .join(contrats, on="reference_contrat")
        .filter(pl.col("date_fin").is_null() | (pl.col("echeance") <= pl.col("date_fin")))
        .with_columns(
            pl.col("annee_contrat")
            .replace_strict(CLASSES, default="annee_3_et_plus", return_dtype=pl.String)
            .alias("classe")
        )
        .sort("debut_annee_contrat")
    )
    e = e.join_asof(
        table_montants(p),
        left_on="debut_annee_contrat",
        right_on="table_du",
        by=["bande", "classe", "option"],
        strategy="backward",
        check_sortedness=False,  # both sides are sorted on the date; the check cannot see it within groups
    )
    manquants = e.filter(pl.col("montant_annuel").is_null())
    if manquants.height:
        x = manquants.row(0, named=True)
        raise ValueError(
            f"aide_assistant_medical: no amount for contract {x['reference_contrat']} (band {x['bande']}, "
            f"contract year {x['annee_contrat']}, option {x['option']}, "
            f"year starting {x['debut_annee_contrat']}): the table in force has none; "
            "check data/parameters/aide_assistant_medical.yaml "
            f"({manquants.height} installment(s) concerned)"
        )
    a = pl.col("montant_annuel")
    acompte = arrondi(a * num_ac, den_ac)
    proratise = arrondi(a * pl.col("taux_num"), pl.col("taux_den"))
    return e.with_columns(
        pl.when(pl.col("nature_versement") == "SOLDE").then(acompte).alias("acompte_deja_verse"),
        pl.when(pl.col("nature_versement") == "SOLDE").then(proratise).alias("montant_proratise"),
        pl.when(pl.col("nature_versement") == "FORFAIT")
        .then(a)
        .when(pl.col("nature_versement") == "ACOMPTE")
        .then(acompte)
        .otherwise(proratise - acompte)
        .cast(pl.Int64)
        .alias("montant_centimes"),
    ).sort("reference_contrat", "echeance", "nature_versement")


def taux(num: int | None, den: int | None) -> str | None:
    """The achievement rate as an exact fraction and a percentage, for the justification."""
    if num is None or den is None:  # nothing measured: the contract's doctor is not in DA_PRA_R
        return None
    f = Fraction(num, den)
    return f"{f.numerator}/{f.denominator} = {float(f) * 100:.2f} %"


def contrats(
    activite_medecins: pl.DataFrame,
    contrats_assistant_medical: pl.DataFrame,
    seuils_reference: pl.DataFrame,
    p: JeuParametres,
    annee: int,
) -> pl.DataFrame:
    """One row per contract signed by 31/12/N: its doctor, band, achievement, the check at signature and each
    installment of N+1 (``echeances_n_plus_1``, with how it is computed)."""
    c = contrats_evalues(contrats_assistant_medical, activite_medecins, seuils_reference, p, annee)
    e = echeances(c, p, annee)
    detail_echeances = e.group_by("reference_contrat").agg(
        pl.struct(
            "nature_versement",
            "annee_contrat",
            "echeance",
            "debut_annee_contrat",
            "table_du",
            "montant_annuel",
            "acompte_deja_verse",
            "montant_proratise",
            "montant_centimes",
        ).alias("echeances_n_plus_1"),
        pl.col("montant_centimes").sum().alias("total_n_plus_1"),
    )
    mois = int(p.a(REGLE, "delai_versement_annee_1_mois", date(annee, 12, 31)))
    annee_1_en_n = pl.col("date_signature").dt.offset_by(f"{mois}mo").dt.year() == annee
    return c.join(detail_echeances, on="reference_contrat", how="left").with_columns(
        pl.lit(annee, pl.Int64).alias("annee_reference"),
        pl.col("total_n_plus_1").fill_null(0),
        (pl.col("est_signe_en_n") & annee_1_en_n).alias("annee_1_due_en_n_hors_fichier"),
        pl.struct(pl.col("taux_num"), pl.col("taux_den"))
        .map_elements(lambda t: taux(t["taux_num"], t["taux_den"]), return_dtype=pl.String)
        .alias("taux_atteinte"),
    )


def lignes_contrats(c: pl.DataFrame, p: JeuParametres, annee: int) -> pl.DataFrame:
    """The installments of N+1 to pay or recover (a solde of exactly 0 writes no line)."""
    e = (
        c.select("ps", "reference_contrat", "echeances_n_plus_1")
        .explode("echeances_n_plus_1")
        .unnest("echeances_n_plus_1")
    )
    return e.filter(pl.col("montant_centimes").is_not_null() & (pl.col("montant_centimes") != 0)).select(
        "ps", "nature_versement", "echeance", "montant_centimes", "reference_contrat"
    )


def justificatifs_contrats(c: pl.DataFrame) -> pl.DataFrame:
    """One justification row per contract (``reference_contrat`` set): how each installment is computed."""
    details = [
        "cabinet",
        "date_signature",
        "option",
        "date_fin",
        "specialite",
        "indicateur",
        "valeur_initiale",
        "objectif",
        "p90",
        "p95",
        "bande",
        "valeur_mesuree",
        "taux_atteinte",
        "controle_signature",
        "activite_a_la_signature",
        "annee_1_due_en_n_hors_fichier",
        "echeances_n_plus_1",
        "critere_cabinet_connu",
        "critere_option_ouverte",
    ]
    criteres = ["critere_cabinet_connu", "critere_option_ouverte"]
    return c.select(
        pl.col("annee_reference").cast(pl.Int64),
        pl.lit(DISPOSITIF).alias("dispositif"),
        pl.lit("PS").alias("beneficiaire_type"),
        pl.coalesce("ps", "cabinet").alias("beneficiaire_id"),
        pl.lit(True).alias("en_vigueur"),
        pl.all_horizontal(criteres).alias("est_eligible"),
        pl.col("total_n_plus_1").cast(pl.Int64).alias("montant_centimes"),
        pl.concat_list([pl.when(~pl.col(k)).then(pl.lit(k.removeprefix("critere_"))) for k in criteres])
        .list.drop_nulls()
        .alias("criteres_non_remplis"),
        pl.struct(details).struct.json_encode().alias("detail"),
        "reference_contrat",
    )


def controles_contrats(c: pl.DataFrame | None) -> pl.DataFrame:
    """Contracts to look at: signed in N by a doctor failing §6.1 at signature, or not payable."""
    if c is None:
        return pl.DataFrame(schema=SCHEMA_CONTROLES)
    motifs = pl.concat_list(
        pl.col("controle_signature").fill_null(pl.lit([], pl.List(pl.String))),
        pl.concat_list(
            pl.when(~pl.col("critere_cabinet_connu")).then(pl.lit("cabinet_absent_de_DA_PRA_R")),
            pl.when(~pl.col("critere_option_ouverte")).then(pl.lit("option_fermee_a_la_signature")),
        ).list.drop_nulls(),
    )
    return (
        c.select(
            "reference_contrat",
            pl.col("ps").alias("beneficiaire_id"),
            "cabinet",
            "date_signature",
            motifs.alias("motifs"),
        )
        .filter(pl.col("motifs").list.len() > 0)
        .select([pl.col(k).cast(t) for k, t in SCHEMA_CONTROLES.items()])
        .sort("reference_contrat")
    )

"""Aide à l'emploi d'un assistant médical: eligibility, bands, and every installment due in N+1.

Règle (seed 003_7013443dea6f0724.txt ; rules.md §1, §6) :
- Éligibilité à une date D (« Conditions d'éligibilité », « Les exceptions ») : secteur 1, ou secteur 2
  adhérent à l'Optam / Optam-CO à D ; spécialité non exclue (radiologie, radiothérapie, stomatologie,
  anesthésie, anatomo-cyto-pathologie, médecine nucléaire) ; pour les spécialités soumises au test CCAM
  (chirurgiens, puis ORL et gynéco-obstétrique à partir du 2024-06-22), honoraires CCAM de N « moins de 20 % »
  des honoraires (sans dépassement) ; activité au moins égale au P30 de la spécialité sur la distribution
  nationale du 31/12/2021 (généraliste : patientèle médecin traitant à D ; autres : file active de N).
- Bande fixée à la signature d'après ``PAT_INI`` : P95 (≥ P95), P90 (≥ P90 et < P95), STANDARD sinon.
- Montant de l'année de contrat k : table (bande, k, option) en vigueur au début de l'année k (avant / à
  partir du 2024-06-22 ; la table publiée, jamais montant × 1,05).
- Versement (« Versement de l'aide à l'emploi ») : années 1 et 2 en une fois, l'une un mois après la
  signature, l'autre au 1er anniversaire ; à partir de la 3e année un acompte de 50 % au début de l'année
  et un solde au bout, proratisé par l'atteinte de l'objectif, l'acompte déjà versé étant soustrait (solde
  négatif = récupération). Rien n'est dû après la résiliation. Le contrat de 5 ans est « pérenne et
  renouvelable » : les années 6, 7… gardent les montants de la 3e année.
- Option 1/3 temps supprimée au 1er mai 2023 : un tel contrat signé depuis est une erreur de données.
Paramètres : data/parameters/aide_assistant_medical.yaml.

Non modélisé / choix :
- Taux d'atteinte (rules.md §6.4, Decision) : part atteinte de la progression, bornée à [0, 1] ; objectif de
  maintien (``PAT_OBJ ≤ PAT_INI``) : M / PAT_INI borné ; ``PAT_INI = 0`` avec un objectif de maintien : 100 %.
  M = l'indicateur du contrat mesuré sur N (patientèle MT au 31/12/N ou file active de N).
- Arrondis : acompte et montant proratisé au centime le plus proche (demi-centime vers le haut).
- L'acompte soustrait du solde est celui que la règle calcule pour cette année de contrat (le registre des
  paiements n'est pas relu). Un solde nul n'émet pas de ligne ; il reste dans la justification.
- Seules les échéances de N+1 sont émises (rules.md §6.4) : l'année 1 d'un contrat signé en janvier–novembre
  de N tombe en N et n'est dans aucun fichier annuel ; la justification le dit.
- Une résiliation avant un anniversaire supprime les échéances postérieures ; la récupération de l'acompte de
  l'année interrompue n'est pas modélisée.
- Les versements ne dépendent pas de l'éligibilité : les contrats signés en N dont le médecin ne remplit pas
  les conditions à la signature sont signalés (liste de contrôle), pas bloqués. Un contrat dont le cabinet
  n'est pas dans DA_PRA_R au 31/12/N, ou signé avec une option fermée à sa date, n'est pas payé et est
  signalé.
- Une spécialité absente de la distribution de référence n'a pas de seuil : pas éligible, bande STANDARD.
- Les conditions d'exercice regroupé (supprimées le 1er mai 2023) ne sont pas modélisées : aucune donnée.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from fractions import Fraction

import polars as pl

from transforms.paiements import COLONNES_PAIEMENTS, justificatifs, lignes_ps
from transforms.parametres import JeuParametres
from transforms.rules.commun import arrondi, fraction, pas_en_vigueur, resultat

DISPOSITIF = "AIDE_ASSISTANT_MEDICAL"
REGLE = "aide_assistant_medical"
BANDES = ("STANDARD", "P90", "P95")
CLASSES = {1: "annee_1", 2: "annee_2"}  # contract years 3 and later: "annee_3_et_plus"


SCHEMA_SEUILS = {
    "specialite": pl.Int64,
    "p30": pl.Int64,
    "p90": pl.Int64,
    "p95": pl.Int64,
    "source": pl.String,
}


class ReferenceManquante(LookupError):
    """The reference distribution a doctor needs is not available (its year is not in the lake)."""


def en_vigueur(p: JeuParametres, annee: int) -> bool:
    """The aid exists for N when in force on 31 December N (contracts of late 2019 pay in 2020)."""
    return bool(p.a(REGLE, "en_vigueur", date(annee, 12, 31)))


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


def _criteres(df: pl.DataFrame, d: pl.Expr, p: JeuParametres) -> pl.DataFrame:
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


def eligibilite(activite: pl.DataFrame, seuils: pl.DataFrame, p: JeuParametres, annee: int) -> pl.DataFrame:
    """One row per doctor of ``activite_medecins``: eligible to the aid at 31/12/N (the list of §6.1)."""
    if not en_vigueur(p, annee):
        return pas_en_vigueur(activite, DISPOSITIF, annee)
    fin = date(annee, 12, 31)
    df = activite.join(seuils.select("specialite", "p30"), on="specialite", how="left").with_columns(
        pl.col("est_optam").alias("est_optam_d"),
        pl.when(pl.col("est_generaliste"))
        .then(pl.col("patientele_mt"))
        .otherwise(pl.col("file_active"))
        .alias("valeur_activite"),
    )
    df = _criteres(df, pl.lit(fin), p)
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


# -- contracts and installments (rules.md §6.2–6.4) ---------------------------------------------------------


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
    signes = _criteres(signes, pl.col("date_signature"), p).select(
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


def aide_assistant_medical(
    activite: pl.DataFrame, contrats: pl.DataFrame, seuils: pl.DataFrame, p: JeuParametres, annee: int
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(payment lines due in N+1, justifications, control list) of the aid for year N.

    Justifications: one row per doctor (eligibility at 31/12/N, ``reference_contrat`` null) and one per
    contract signed by 31/12/N (how each installment of N+1 is computed). Control list: the contracts signed
    during N whose doctor fails §6.1 at signature, and the contracts that cannot be paid.
    """
    elig = justificatifs(eligibilite(activite, seuils, p, annee))
    vide = pl.DataFrame(schema=COLONNES_PAIEMENTS)
    if not en_vigueur(p, annee):
        return vide, elig, _controles(None)
    c = contrats_evalues(contrats, activite, seuils, p, annee)
    e = echeances(c, p, annee)
    payees = e.filter(pl.col("montant_centimes") != 0)
    lignes = lignes_ps(payees, annee, DISPOSITIF)
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
    c = c.join(detail_echeances, on="reference_contrat", how="left").with_columns(
        pl.col("total_n_plus_1").fill_null(0),
        (pl.col("est_signe_en_n") & annee_1_en_n).alias("annee_1_due_en_n_hors_fichier"),
        pl.struct(pl.col("taux_num"), pl.col("taux_den"))
        .map_elements(lambda t: taux(t["taux_num"], t["taux_den"]), return_dtype=pl.String)
        .alias("taux_atteinte"),
    )
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
    justifs_contrats = c.select(
        pl.lit(annee, pl.Int64).alias("annee_reference"),
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
    justifs = pl.concat([elig, justifs_contrats], how="vertical")
    return lignes, justifs, _controles(c)


def _controles(c: pl.DataFrame | None) -> pl.DataFrame:
    """Contracts to look at: signed in N by a doctor failing §6.1 at signature, or not payable."""
    schema = {
        "reference_contrat": pl.String,
        "beneficiaire_id": pl.String,
        "cabinet": pl.String,
        "date_signature": pl.Date,
        "motifs": pl.List(pl.String),
    }
    if c is None:
        return pl.DataFrame(schema=schema)
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
        .select([pl.col(k).cast(t) for k, t in schema.items()])
        .sort("reference_contrat")
    )

"""Aide exceptionnelle aux professionnels de santé libéraux en perte d'activité, Covid-19 (DIPA).

Règle (seed 000_86aa99c4f7e9d396.txt, communiqué du 29 avril 2020 : une aide « différentielle » qui couvre le
niveau moyen des charges fixes du professionnel conventionné dont l'activité conventionnée est une part
substantielle des revenus, en tenant compte des autres aides perçues, versée d'abord sous forme d'acompte ;
rules.md §8) : pour N = 2020 seulement, aide = max(0, (H2019 − H2020) × taux − autres aides déclarées), où
H = honoraires sans dépassement du 16 mars au 30 mai (inclus) de chaque année et taux = taux de charges fixes
de la profession / spécialité et du secteur, majoré de 5 points si l'installation date de moins de 2 ans
avant le 16/03/2020. Le paiement de 2021 porte une ligne REGULARISATION = aide − acompte versé (négative =
récupération).
Paramètres : data/parameters/aide_perte_activite_covid.yaml (periode, dont les dates bornent l'aide à
N = 2020 ; taux_charges_fixes, majoration_installation_recente, prs_nat_rgt_autres_professions,
echeance_regularisation) ; les taux inconnus des sources publiques viennent d'un overlay de l'utilisateur.
Non modélisé / choix :
- population : les professionnels (STA_PFS_NUM) ayant une déclaration ; plusieurs déclarations de cabinets
  d'un même professionnel sont additionnées. Sans déclaration, rien n'est évalué.
- conditions : exercice libéral, conventionné, part substantielle déclarée. Un déclarant qui ne les remplit
  pas a une aide nulle : son acompte est récupéré en entier.
- honoraires : pour un médecin, natures d'actes médicaux (§0), majorations comprises ; pour une autre
  profession, aussi les regroupements d'honoraires de sa profession (IR_RGT_V), car aucun infirmier ni
  dentiste ne facture de nature d'acte médical. Les lignes de 2019 sont rattachées par le DA_PRA_R de 2020.
- taux : la ligne la plus précise l'emporte (spécialité, puis secteur) ; un taux manquant pour un déclarant
  éligible est une erreur qui nomme profession, spécialité et secteur, jamais un zéro. La majoration
  s'applique si la date d'installation est postérieure au 16/03/2018 (installé le 16/03/2018 : 2 ans pile,
  pas de majoration).
- arrondi : perte × taux arrondi au centime (demi vers le haut), puis déduction des autres aides, plancher 0.
- une régularisation nulle n'écrit pas de ligne ; le justificatif la montre.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from transforms.parametres import JeuParametres, ParametreError
from transforms.rules.commun import arrondi, fraction

DISPOSITIF = "AIDE_PERTE_ACTIVITE_COVID"
PARAM = "aide_perte_activite_covid"


class TauxManquant(ParametreError):
    """A professional who is owed the aid has no fixed-charge rate in the parameters."""


def _taux(dipa: pl.DataFrame, p: JeuParametres, annee: int) -> pl.DataFrame:
    """The rate row of each professional: same profession, specialty and sector equal or null, the most
    specific first; columns taux_num / taux_den (exact fraction), taux_source."""
    d = date(annee, 12, 31)
    lignes = p.a(PARAM, "taux_charges_fixes", d)
    source = p.source(PARAM, "taux_charges_fixes", d)
    grille = pl.DataFrame(
        [
            {
                "t_cat": int(x["pfs_cat_cod"]),
                "t_spe": None if x.get("specialite") is None else int(x["specialite"]),
                "t_sect": None if x.get("secteur") is None else int(x["secteur"]),
                "taux": str(x["taux"]),
            }
            for x in lignes
        ],
        schema={"t_cat": pl.Int64, "t_spe": pl.Int64, "t_sect": pl.Int64, "taux": pl.String},
    )
    candidats = (
        dipa.select("ps", "pfs_cat_cod", "specialite", "secteur")
        .join(grille, left_on="pfs_cat_cod", right_on="t_cat", how="inner")
        .filter(
            (pl.col("t_spe").is_null() | (pl.col("t_spe") == pl.col("specialite")))
            & (pl.col("t_sect").is_null() | (pl.col("t_sect") == pl.col("secteur")))
        )
        .sort("ps", pl.col("t_spe").is_null(), pl.col("t_sect").is_null())
        .unique("ps", keep="first", maintain_order=True)
    )
    fr = {t: fraction(t) for t in candidats["taux"].unique()}
    return pl.DataFrame(
        {
            "ps": candidats["ps"],
            "taux_charges_fixes": candidats["taux"],
            "num": [fr[x][0] for x in candidats["taux"]],
            "den": [fr[x][1] for x in candidats["taux"]],
            "taux_source": [source] * candidats.height,
        },
        schema={
            "ps": pl.String,
            "taux_charges_fixes": pl.String,
            "num": pl.Int64,
            "den": pl.Int64,
            "taux_source": pl.String,
        },
    )


def aide_perte_activite_covid(
    declarants_aide_perte_activite_covid: pl.DataFrame, p: JeuParametres, annee: int
) -> pl.DataFrame:
    """One row per declaring professional (``declarants_aide_perte_activite_covid``) → criteria, aid
    (``montant_centimes``) and ``regularisation_centimes`` = aid − acompte."""
    dipa = declarants_aide_perte_activite_covid
    d = date(annee, 12, 31)
    maj = p.a(PARAM, "majoration_installation_recente", d)
    ref = maj["date"] if isinstance(maj["date"], date) else date.fromisoformat(str(maj["date"]))
    limite = ref.replace(year=ref.year - int(maj["annees"]))
    pts_num, pts_den = fraction(maj["points"])
    df = dipa.with_columns(
        pl.col("est_liberal").alias("critere_exercice_liberal"),
        pl.col("est_conventionne").alias("critere_conventionne"),
        pl.col("part_substantielle").fill_null(False).alias("critere_part_substantielle"),
        (pl.col("date_installation") > limite).fill_null(False).alias("installation_recente"),
        (pl.col("honoraires_2019") - pl.col("honoraires_2020")).alias("perte_honoraires"),
        (pl.col("aide_activite_partielle") + pl.col("aide_fonds_solidarite") + pl.col("ij_percues")).alias(
            "autres_aides"
        ),
    )
    eligible = pl.all_horizontal([c for c in df.columns if c.startswith("critere_")])
    df = df.with_columns(eligible.alias("est_eligible"))
    df = df.join(_taux(df.filter(pl.col("est_eligible")), p, annee), on="ps", how="left")
    sans_taux = df.filter(pl.col("est_eligible") & pl.col("num").is_null())
    if sans_taux.height:
        groupes = (
            sans_taux.group_by("pfs_cat_cod", "specialite", "secteur")
            .len()
            .sort("pfs_cat_cod", "specialite", "secteur", nulls_last=True)
        )
        liste = "; ".join(
            f"profession (PFS_CAT_COD) {c}, specialty {s}, sector {sec}: {n} professional(s)"
            for c, s, sec, n in groupes.iter_rows()
        )
        raise TauxManquant(
            f"{PARAM}: no fixed-charge rate (taux_charges_fixes) for {liste}. Rates other than ophthalmology "
            f"are not public: supply them in a parameter overlay (file {PARAM}.yaml, key "
            "parametres.taux_charges_fixes, rows {pfs_cat_cod, specialite, secteur, taux}; see "
            "data/overlays/illustratif/ for the layout)"
        )
    # rate + points when installed recently, as one exact fraction: num/den + pts_num/pts_den
    num = pl.col("num") * pts_den + pl.when(pl.col("installation_recente")).then(
        pts_num * pl.col("den")
    ).otherwise(0)
    den = pl.col("den") * pts_den
    compense = arrondi(pl.col("perte_honoraires").clip(lower_bound=0) * num, den)
    aide = (
        pl.when(pl.col("est_eligible"))
        .then((compense - pl.col("autres_aides")).clip(lower_bound=0))
        .otherwise(0)
    )
    df = df.with_columns(
        (num / den).alias("taux_applique"),
        pl.when(pl.col("est_eligible"))
        .then(compense)
        .otherwise(0)
        .cast(pl.Int64)
        .alias("charges_compensees"),
        aide.cast(pl.Int64).alias("montant_centimes"),
    ).with_columns((pl.col("montant_centimes") - pl.col("acompte_verse")).alias("regularisation_centimes"))
    return df.select(
        "ps",
        pl.lit(annee).alias("annee_reference"),
        pl.lit(DISPOSITIF).alias("dispositif"),
        pl.lit(True).alias("en_vigueur"),
        "est_eligible",
        "montant_centimes",
        "regularisation_centimes",
        "acompte_verse",
        "honoraires_2019",
        "honoraires_2020",
        "perte_honoraires",
        "pfs_cat_cod",
        "specialite",
        "secteur",
        "date_installation",
        "installation_recente",
        "taux_charges_fixes",
        "taux_applique",
        "taux_source",
        "charges_compensees",
        "aide_activite_partielle",
        "aide_fonds_solidarite",
        "ij_percues",
        "autres_aides",
        "nb_declarations",
        *[c for c in df.columns if c.startswith("critere_")],
    ).sort("ps")


def lignes_regularisation(resultat: pl.DataFrame, p: JeuParametres, annee: int) -> pl.DataFrame:
    """One REGULARISATION line per professional whose aid differs from his acompte, due on the parameter's
    date (30 June 2021 by default)."""
    echeance = p.a(PARAM, "echeance_regularisation", date(annee, 12, 31))
    return resultat.filter(pl.col("regularisation_centimes") != 0).select(
        "ps",
        pl.lit("REGULARISATION").alias("nature_versement"),
        pl.lit(echeance, pl.Date).alias("echeance"),
        pl.col("regularisation_centimes").alias("montant_centimes"),
    )

"""Forfait médecin traitant (FMT).

Règle (seed 004_4d0b1a9ab833196b.txt : poids du forfait, « en moyenne 16 000 euros annuels » par généraliste,
et négociation de sa revalorisation ; rules.md §7) : versé en N+1 sur la patientèle médecin traitant au
31/12/N, aux médecins du champ en secteur 1 ou adhérents à l'Optam, en 4 échéances égales (le reliquat de
centimes sur la dernière). Montant par patient selon sa catégorie (âge atteint en N, ALD et C2S au 31/12/N ; à
partir de 2026, « non vu » en N−1 ni en N), par la grille de l'année de versement N+1 (2018–2023, 2024–2025,
2026). Jusqu'en 2025, majoration selon la part de patients C2S ; à partir de 2026, supplément par patient C2S
et majorations du médecin (âge, ZIP, première installation en ZIP).
Paramètres : data/parameters/forfait_medecin_traitant.yaml.

Non modélisé / choix :
- Les majorations du médecin (2026) s'ajoutent entre elles et portent sur le socle (la grille par catégorie),
  pas sur le supplément C2S (rules.md §7, Decision) ; l'installation « en ZIP » est lue sur la zone du cabinet
  principal au 31/12/N ; « moins d'un an » = installé après le 31/12/N−1 ; « 1 à 2 ans » = installé entre le
  01/01/N−1 et le 31/12/N−1 inclus.
- La catégorie « non vu » prime sur les autres (Decision) ; « vu » = au moins un acte du médecin pour ce
  patient en N−1 ou en N, quantité nette > 0 sur l'année ; les cabinets de N−1 sont regroupés par le DA_PRA_R
  de N.
- Le patient « non vu » rapporte 5 € et rien d'autre (rules.md §7, Decision) : ce montant forfaitaire remplace
  celui de sa catégorie et le supplément C2S de 10 €, car l'un et l'autre rémunèrent des soins qu'un patient
  non vu depuis deux ans n'a pas reçus. Le supplément est donc compté sur les patients C2S vus
  (``nb_patients_c2s_supplement``) ; ``nb_patients_c2s`` reste le compte de tous les patients C2S.
- Une ALD prime sur l'âge de moins de 7 ans ; un patient absent de IR_BEN_R (âge inconnu) compte en 7–74 ans.
- Majoration C2S jusqu'en 2025 : part strictement supérieure au seuil, calculée en entiers, arrondie au
  centime (demi vers le haut).
- Non modélisé : la part prévention 2026 (indicateurs cliniques absents de l'extrait).
"""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import polars as pl

from transforms.parametres import JeuParametres
from transforms.rules.commun import arrondi, fraction, resultat

DISPOSITIF = "FORFAIT_MEDECIN_TRAITANT"
REGLE = "forfait_medecin_traitant"
CATEGORIES = [
    "non_vu",
    "age_moins_7",
    "age_7_74_sans_ald",
    "age_75_79_sans_ald",
    "age_80_plus_sans_ald",
    "ald_moins_80",
    "ald_80_plus",
]


def _versement(annee: int) -> date:
    return date(annee + 1, 1, 1)


def _points_de_base(taux: float | str) -> int:
    """A rate of the parameters in ten-thousandths (0.10 → 1 000), exactly; anything finer is an error."""
    f = Fraction(str(taux)) * 10_000
    if f.denominator != 1:
        raise ValueError(f"{REGLE}: rate {taux} is finer than 1/10 000")
    return int(f)


def forfait_medecin_traitant(
    activite_medecins: pl.DataFrame, categories_medecin_traitant: pl.DataFrame, p: JeuParametres, annee: int
) -> pl.DataFrame:
    """One row per doctor of ``activite_medecins`` → counts by category, socle, majorations, yearly amount."""
    categories = categories_medecin_traitant
    v = _versement(annee)
    grille = p.a(REGLE, "grille_centimes", v)
    c2s_par_medecin = categories.group_by("ps").agg(
        pl.col("nb_patients_c2s").sum().alias("nb_patients_c2s"),
        # a patient not seen brings the flat non_vu amount and no C2S supplement (rules.md §7, Decision)
        pl.col("nb_patients_c2s")
        .filter(pl.col("categorie") != "non_vu")
        .sum()
        .alias("nb_patients_c2s_supplement"),
    )
    comptes = (
        categories.pivot(on="categorie", index="ps", values="nb_patients", aggregate_function="sum").join(
            c2s_par_medecin, on="ps"
        )
        if categories.height
        else pl.DataFrame(
            schema={"ps": pl.String, "nb_patients_c2s": pl.Int64, "nb_patients_c2s_supplement": pl.Int64}
        )
    )
    for cat in CATEGORIES:
        if cat not in comptes.columns:
            comptes = comptes.with_columns(pl.lit(0, pl.Int64).alias(cat))
    nb = {cat: f"nb_{cat}" for cat in CATEGORIES}
    df = activite_medecins.join(
        comptes.select(
            "ps",
            "nb_patients_c2s",
            "nb_patients_c2s_supplement",
            *[pl.col(c).cast(pl.Int64).alias(nb[c]) for c in CATEGORIES],
        ),
        on="ps",
        how="left",
    ).with_columns(
        pl.col(c).fill_null(0) for c in ["nb_patients_c2s", "nb_patients_c2s_supplement", *nb.values()]
    )
    total = pl.sum_horizontal(*nb.values())
    socle = pl.sum_horizontal(pl.col(nb[c]) * int(grille[c] or 0) for c in CATEGORIES)
    df = df.with_columns(total.alias("patientele_fmt"), socle.cast(pl.Int64).alias("socle_centimes"))
    c2s, t, s = pl.col("nb_patients_c2s"), pl.col("patientele_fmt"), pl.col("socle_centimes")

    maj_c2s = pl.lit(0, pl.Int64)
    regle_part = p.a(REGLE, "majoration_part_c2s", v)
    if (
        regle_part is not None
    ):  # up to 2025: raise by (min(share, plafond) − seuil) / diviseur above the seuil
        a, b = fraction(regle_part["seuil"])
        e, f = fraction(regle_part["plafond"])
        d = int(regle_part["diviseur"])
        plafonne = c2s * f > e * t
        sn = pl.when(plafonne).then(pl.lit(e)).otherwise(c2s)  # min(share, plafond) = sn / sd
        sd = pl.when(plafonne).then(pl.lit(f)).otherwise(t)
        maj_c2s = (
            pl.when((t > 0) & (c2s * b > a * t)).then(arrondi(s * (sn * b - a * sd), sd * b * d)).otherwise(0)
        )
    supplement = int(grille.get("supplement_c2s") or 0)
    majorations = p.a(REGLE, "majorations_medecin", v)
    taux_medecin = pl.lit(0, pl.Int64)
    if majorations is not None:  # from 2026: doctor-level rates on the socle, added together
        zip_ = pl.col("zone") == "ZIP"
        ins = pl.col("date_installation")
        taux_medecin = (
            pl.when(pl.lit(annee) - pl.col("annee_naissance") >= int(majorations["age_min"]))
            .then(_points_de_base(majorations["taux_age"]))
            .otherwise(0)
            + pl.when(zip_).then(_points_de_base(majorations["taux_zip"])).otherwise(0)
            + pl.when(zip_ & (ins > date(annee - 1, 12, 31)))
            .then(_points_de_base(majorations["taux_installation_moins_1_an"]))
            .when(zip_ & (ins > date(annee - 2, 12, 31)))
            .then(_points_de_base(majorations["taux_installation_1_2_ans"]))
            .otherwise(0)
        )
    df = df.with_columns(
        maj_c2s.cast(pl.Int64).alias("majoration_part_c2s_centimes"),
        (pl.col("nb_patients_c2s_supplement") * supplement).cast(pl.Int64).alias("supplement_c2s_centimes"),
        taux_medecin.cast(pl.Int64).alias("taux_majorations_medecin_pour_10000"),
    ).with_columns(
        arrondi(s * pl.col("taux_majorations_medecin_pour_10000"), 10_000)
        .cast(pl.Int64)
        .alias("majorations_medecin_centimes"),
        pl.when(t > 0).then(c2s / t).alias("part_c2s"),
        pl.col("est_dans_champ").alias("critere_dans_champ"),
        ((pl.col("secteur") == 1) | pl.col("est_optam")).fill_null(False).alias("critere_secteur_1_ou_optam"),
        (t > 0).alias("critere_patientele_mt"),
    )
    montant = (
        pl.col("socle_centimes")
        + pl.col("majoration_part_c2s_centimes")
        + pl.col("supplement_c2s_centimes")
        + pl.col("majorations_medecin_centimes")
    )
    mesures = [
        "specialite",
        "secteur",
        "est_optam",
        "zone",
        "patientele_fmt",
        *nb.values(),
        "nb_patients_c2s",
        "nb_patients_c2s_supplement",
        "part_c2s",
        "socle_centimes",
        "majoration_part_c2s_centimes",
        "supplement_c2s_centimes",
        "taux_majorations_medecin_pour_10000",
        "majorations_medecin_centimes",
    ]
    return resultat(df, DISPOSITIF, annee, mesures, montant).with_columns(
        pl.lit(annee + 1).alias("annee_grille")
    )


def lignes_echeances(r: pl.DataFrame, p: JeuParametres, annee: int) -> pl.DataFrame:
    """The yearly amount in equal ECHEANCE rows on the dates of N+1, the cent remainder on the last one."""
    jours = sorted(p.a(REGLE, "echeances", _versement(annee)))
    dates = [date(annee + 1, *(int(x) for x in j.split("-"))) for j in jours]
    n = len(dates)
    payes = r.filter(pl.col("est_eligible") & (pl.col("montant_centimes") > 0))
    parts = []
    for i, d in enumerate(dates):
        part = pl.col("montant_centimes") // n
        if i == n - 1:
            part = pl.col("montant_centimes") - (n - 1) * (pl.col("montant_centimes") // n)
        parts.append(
            payes.select("ps", pl.lit(d).alias("echeance"), part.cast(pl.Int64).alias("montant_centimes"))
        )
    lignes = pl.concat(parts).filter(pl.col("montant_centimes") > 0)
    return lignes.select("ps", pl.lit("ECHEANCE").alias("nature_versement"), "echeance", "montant_centimes")

"""Financement des communautés professionnelles territoriales de santé (CPTS).

Règle (seed 002_bc76e9eab03580b4.txt, paragraphe sur les CPTS : l'Assurance Maladie finance les
professionnels qui s'organisent en CPTS, y compris leurs frais de coordination et fonctions support ; accord
interprofessionnel de juin 2019 et son avenant 2 ; rules.md §9) : le bénéficiaire est la CPTS. Sa taille
(tranche 1 à 4) dépend de la population couverte. Elle reçoit une dotation de fonctionnement annuelle par
tranche, relevée par l'avenant 2 à compter du 31/03/2022, au prorata des jours de N où le contrat court ; pour
chaque mission commencée, une part fixe au prorata des jours de N après son début et une part variable =
montant × taux d'atteinte ; le tout plafonné par an selon la tranche.
Paramètres : data/parameters/financement_cpts.yaml (population_min_tranche, fonctionnement_centimes, dont
la première date est celle du financement, plafond_annuel_centimes) ; ``missions_centimes`` (parts fixe et
variable par mission et tranche), introuvable dans les sources publiques, est fourni par l'utilisateur dans un
overlay : son absence est une erreur dès qu'une mission court en N.
Non modélisé / choix :
- tranche : 1 sous 40 000 habitants, 2 de 40 000 à 80 000 inclus, 3 au-delà jusqu'à 175 000 inclus, 4 au-delà.
- l'année où un montant change (avenant 2 en 2022), la dotation est calculée par segments de jours, chaque
  segment au montant en vigueur ; un seul arrondi au centime (demi vers le haut) sur la somme.
- la part fixe d'une mission court aussi dans les bornes du contrat (rien après sa fin) ; la part
  variable est due si le contrat court en N, sans prorata (le taux d'atteinte mesure déjà l'année) ; les
  montants de mission sont ceux en vigueur au 31/12/N.
- le plafond de 2019 vaut pour toutes les années (aucune autre valeur connue) et n'est pas proratisé.
- une ligne FORFAIT par CPTS et par an (somme plafonnée), due à la date des forfaits annuels (30 avril N+1) ;
  le détail (dotation, chaque mission, plafond) est dans le justificatif ; reference_contrat vide, le
  contrat étant identifié par la CPTS.
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from transforms.parametres import JeuParametres, ParametreError
from transforms.rules.commun import arrondi, fraction, resultat

DISPOSITIF = "FINANCEMENT_CPTS"
PARAM = "financement_cpts"
SCHEMA_MONTANTS = {
    "mission": pl.String,
    "tranche": pl.Int64,
    "montant_fixe": pl.Int64,
    "montant_variable": pl.Int64,
}


def _jours(debut: pl.Expr, fin: pl.Expr) -> pl.Expr:
    """Days from ``debut`` to ``fin`` inclusive, 0 when the period is empty."""
    return ((fin - debut).dt.total_days() + 1).clip(lower_bound=0).fill_null(0).cast(pl.Int64)


def _tranche(population: pl.Expr, bornes: dict) -> pl.Expr:
    """Size tier: the highest tier whose smallest population is ≤ the population."""
    expr = pl.lit(None, pl.Int64)
    for t, mini in sorted(((int(k), int(v)) for k, v in bornes.items()), key=lambda x: x[1]):
        expr = pl.when(population >= mini).then(pl.lit(t, pl.Int64)).otherwise(expr)
    return expr


def _par_tranche(valeurs: dict, tranche: pl.Expr) -> pl.Expr:
    return tranche.replace_strict({int(k): int(v) for k, v in valeurs.items()}, return_dtype=pl.Int64)


def _dotation(p: JeuParametres, annee: int) -> pl.Expr:
    """Σ over the dated values of the operating grant in force during N: amount × days of the segment
    during which the contract runs (numerator over the days of N)."""
    debut_n, fin_n = date(annee, 1, 1), date(annee, 12, 31)
    valeurs = p.parametre(PARAM, "fonctionnement_centimes").valeurs
    termes = []
    for i, v in enumerate(valeurs):
        seg_debut = max(v.debut, debut_n)
        seg_fin = min(valeurs[i + 1].debut - timedelta(days=1), fin_n) if i + 1 < len(valeurs) else fin_n
        if seg_debut > seg_fin:
            continue
        jours = _jours(
            pl.max_horizontal(pl.col("debut_actif"), pl.lit(seg_debut)),
            pl.min_horizontal(pl.col("fin_actif"), pl.lit(seg_fin)),
        )
        termes.append(_par_tranche(v.valeur, pl.col("tranche")) * jours)
    return pl.sum_horizontal(termes) if termes else pl.lit(0, pl.Int64)


def _montants_missions(missions: pl.DataFrame, p: JeuParametres, annee: int) -> pl.DataFrame:
    """fixe / variable amounts (cents) of each (mission, tier) present; an error naming what is missing."""
    d = date(annee, 12, 31)
    if missions.is_empty():
        return pl.DataFrame(schema=SCHEMA_MONTANTS)
    try:
        table = p.a(PARAM, "missions_centimes", d)
    except ParametreError as e:
        raise ParametreError(
            f"{PARAM}: {missions['cpts_id'].n_unique()} CPTS run {missions.height} mission(s) in {annee}, "
            f"but the fixed and variable amounts of missions are not public and were not supplied ({e}). "
            "Supply parametres.missions_centimes as {MISSION: {tier: {fixe: cents, variable: cents}}}; see "
            "data/overlays/illustratif/financement_cpts.yaml for the layout"
        ) from None
    lignes, manquants = [], []
    for m, t in missions.select("mission", "tranche").unique().sort("mission", "tranche").iter_rows():
        v = (table or {}).get(m, {}) or {}
        v = v.get(t, v.get(str(t)))
        if not isinstance(v, dict) or "fixe" not in v or "variable" not in v:
            manquants.append(f"{m} tier {t}")
            continue
        lignes.append(
            {
                "mission": m,
                "tranche": t,
                "montant_fixe": int(v["fixe"]),
                "montant_variable": int(v["variable"]),
            }
        )
    if manquants:
        raise ParametreError(
            f"{PARAM}.missions_centimes in force on {d.isoformat()} has no fixe/variable amounts for "
            f"{', '.join(manquants)}: add them to the overlay that supplies it"
        )
    return pl.DataFrame(lignes, schema=SCHEMA_MONTANTS)


def financement_cpts(contrats_cpts: pl.DataFrame, p: JeuParametres, annee: int) -> pl.DataFrame:
    """``contrats_cpts`` (one row per mission of a CPTS contract, or per contract without mission) → one row
    per CPTS contract signed by 31/12/N: tier, days, grant, missions, cap, ``montant_centimes``."""
    cpts = contrats_cpts
    contrats = (
        cpts.select("cpts_id", "date_signature", "date_fin", "population").unique("cpts_id").sort("cpts_id")
    )
    debut_n, fin_n = date(annee, 1, 1), date(annee, 12, 31)
    jours_n = (fin_n - debut_n).days + 1
    d = fin_n
    contrats = contrats.with_columns(
        _tranche(pl.col("population"), p.a(PARAM, "population_min_tranche", d)).alias("tranche"),
        pl.max_horizontal(pl.col("date_signature"), pl.lit(debut_n)).alias("debut_actif"),
        pl.min_horizontal(pl.col("date_fin").fill_null(fin_n), pl.lit(fin_n)).alias("fin_actif"),
    ).with_columns(_jours(pl.col("debut_actif"), pl.col("fin_actif")).alias("jours_contrat"))
    contrats = contrats.with_columns(
        arrondi(_dotation(p, annee), jours_n).cast(pl.Int64).alias("dotation_fonctionnement"),
        pl.lit(jours_n).alias("jours_annee"),
        (pl.col("jours_contrat") > 0).alias("critere_contrat_en_cours_en_n"),
    )
    missions = (
        cpts.filter(pl.col("mission").is_not_null())
        .select("cpts_id", "mission", "date_debut_mission", "taux_atteinte")
        .join(contrats.filter(pl.col("critere_contrat_en_cours_en_n")), on="cpts_id", how="inner")
    )
    montants = _montants_missions(missions, p, annee)
    taux = {t: fraction(t) for t in missions["taux_atteinte"].cast(pl.String).unique().drop_nulls()}
    missions = (
        missions.join(montants, on=["mission", "tranche"], how="left")
        .with_columns(
            _jours(pl.max_horizontal("date_debut_mission", "debut_actif"), pl.col("fin_actif")).alias(
                "jours_mission"
            ),
            pl.col("taux_atteinte")
            .cast(pl.String)
            .replace_strict({k: n for k, (n, _) in taux.items()}, return_dtype=pl.Int64, default=0)
            .alias("t_num"),
            pl.col("taux_atteinte")
            .cast(pl.String)
            .replace_strict({k: q for k, (_, q) in taux.items()}, return_dtype=pl.Int64, default=1)
            .alias("t_den"),
        )
        .with_columns(
            arrondi(pl.col("montant_fixe") * pl.col("jours_mission"), jours_n).alias("part_fixe"),
            arrondi(pl.col("montant_variable") * pl.col("t_num"), pl.col("t_den")).alias("part_variable"),
        )
    )
    par_cpts = missions.group_by("cpts_id").agg(
        pl.col("part_fixe").sum().alias("parts_fixes"),
        pl.col("part_variable").sum().alias("parts_variables"),
        pl.struct(
            "mission",
            "date_debut_mission",
            "jours_mission",
            "montant_fixe",
            "part_fixe",
            "taux_atteinte",
            "montant_variable",
            "part_variable",
        )
        .sort_by("mission")
        .alias("missions"),
    )
    df = (
        contrats.join(par_cpts, on="cpts_id", how="left")
        .with_columns(
            pl.col("parts_fixes").fill_null(0),
            pl.col("parts_variables").fill_null(0),
            _par_tranche(p.a(PARAM, "plafond_annuel_centimes", d), pl.col("tranche")).alias("plafond_annuel"),
        )
        .with_columns(
            (pl.col("dotation_fonctionnement") + pl.col("parts_fixes") + pl.col("parts_variables")).alias(
                "total_avant_plafond"
            )
        )
        .with_columns(
            (pl.col("total_avant_plafond") > pl.col("plafond_annuel")).alias("plafonne"),
        )
    )
    mesures = [
        "population",
        "tranche",
        "date_signature",
        "date_fin",
        "jours_contrat",
        "jours_annee",
        "dotation_fonctionnement",
        "parts_fixes",
        "parts_variables",
        "missions",
        "total_avant_plafond",
        "plafond_annuel",
        "plafonne",
    ]
    montant = pl.min_horizontal("total_avant_plafond", "plafond_annuel")
    return resultat(df, DISPOSITIF, annee, mesures, montant, id_col="cpts_id").sort("cpts_id")

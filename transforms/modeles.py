"""The DuckDB models of the annual run (transforms/sql/, one per file) and the variables they read.

Models are SELECT statements run in this order, each stored as a table named after its file; they read the
lake through ``getvariable('t_<TABLE>')`` and every figure through a variable set here from the dated
parameters (no literal of a legal text in SQL). Pure: builds names and values, runs nothing.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from transforms.parametres import JeuParametres
from transforms.registre import en_vigueur

DOSSIER_SQL = Path(__file__).resolve().parent / "sql"
MODELES = (
    "stg_natures",
    "stg_cabinets",
    "int_medecins",
    "int_activite",
    "int_patients_mt",
    "int_patientele_mt",
    "int_orientations_ipa",
    "int_sas",
    "int_msu",
    "activite_medecins",
    "percentiles",
    "int_contrats_assistant_medical",
    "int_categories_mt",
    "int_aide_perte_activite_covid",
    "int_cpts",
)
TABLES_LUES = (
    "DA_PRA_R",
    "ER_PRS_F",
    "IR_BEN_R",
    "IR_MTT_R",
    "OPTAM",
    "ZONAGE",
    "ORIENTATIONS_IPA",
    "SAS_DEPLOIEMENT",
    "SAS_INSCRIPTIONS",
    "MSU_DECLARATIONS",
    "CONTRATS_AAM",
    "IR_IMB_R",
    "IR_ORC_R",
    "DIPA_DECLARATIONS",
    "CPTS_CONTRATS",
    "CPTS_MISSIONS",
)


def variables(p: JeuParametres, annee: int) -> dict[str, object]:
    """The values the models read with ``getvariable``, in force on 1 January of ``annee``."""
    d = date(annee, 1, 1)

    def c(nom: str):
        return p.a("commun", nom, d)

    percentiles = [int(x) for x in c("percentiles")]
    versement = date(annee + 1, 1, 1)  # the forfait médecin traitant's grid is the payment year's
    fmt = en_vigueur("forfait_medecin_traitant", p, annee)
    grille = p.a("forfait_medecin_traitant", "grille_centimes", versement) if fmt else {}
    ages = p.a("forfait_medecin_traitant", "bornes_age", versement) if grille else {}
    dipa = en_vigueur("aide_perte_activite_covid", p, annee)
    periode = p.a("aide_perte_activite_covid", "periode", date(annee, 12, 31)) if dipa else None

    def jour(an: int, mm_jj: str | None) -> date:
        return date(an, *(int(x) for x in mm_jj.split("-"))) if mm_jj else d

    return {
        "annee": annee,
        "debut": date(annee, 1, 1),
        "fin": date(annee, 12, 31),
        "cat_medecin": int(c("pfs_cat_cod_medecin")),
        "exc_liberal": [int(x) for x in c("exc_exc_nat_liberal")],
        "cnv_conventionne": [int(x) for x in c("cnv_cnv_cod_conventionne")],
        "cnv_secteur_1": [int(x) for x in c("cnv_cnv_cod_secteur_1")],
        "cnv_secteur_2": [int(x) for x in c("cnv_cnv_cod_secteur_2")],
        "generalistes": [int(x) for x in c("specialites_generalistes")],
        "nat_rgt_actes": [int(x) for x in c("prs_nat_rgt_actes_medicaux")],
        "nat_rgt_ccam": [int(x) for x in c("prs_nat_rgt_ccam")],
        "cpl_max": int(c("cpl_maj_top_max_acte_de_base")),
        "dpn_info": int(c("dpn_qlf_pour_information")),
        "rgm_ame": [int(x) for x in c("rgm_cod_ame")],
        "percentiles": percentiles,
        "quantiles": [x / 100 for x in percentiles],
        "effectif_min": int(c("effectif_minimal_secret_statistique")),
        "debut_prec": date(annee - 1, 1, 1),
        "cta_c2s": [int(x) for x in p.a("commun", "ben_cta_typ_c2s", date(annee, 12, 31))],
        "fmt_non_vu": grille.get("non_vu") is not None,
        "age_enfant": int(ages.get("enfant_max_exclu", 0)),
        "age_senior": int(ages.get("senior_min", 0)),
        "age_grand": int(ages.get("grand_age_min", 0)),
        "dipa": dipa,
        "dipa_debut": jour(annee, periode and periode["debut"]),
        "dipa_fin": jour(annee, periode and periode["fin"]),
        "dipa_debut_prec": jour(annee - 1, periode and periode["debut"]),
        "dipa_fin_prec": jour(annee - 1, periode and periode["fin"]),
        "dipa_nat_rgt_autres": [
            int(x)
            for x in (
                p.a("aide_perte_activite_covid", "prs_nat_rgt_autres_professions", date(annee, 12, 31))
                if dipa
                else []
            )
        ],
        "cpts": en_vigueur("financement_cpts", p, annee),
    }


def besoin_annee_precedente(v: dict[str, object]) -> list[str]:
    """The rules whose models read the claims of N−1 (``t_ER_PRS_F_prec``), given the variables of N."""
    besoins = (("forfait_medecin_traitant", v["fmt_non_vu"]), ("aide_perte_activite_covid", v["dipa"]))
    return [regle for regle, besoin in besoins if besoin]


def tables_lues(texte: str) -> list[str]:
    """The lake tables a model's SQL reads (its ``getvariable('t_<TABLE>')``; ``ER_PRS_F_prec`` is N−1)."""
    return sorted(set(re.findall(r"getvariable\('t_(\w+)'\)", texte)))


def sql(modele: str) -> str:
    return (DOSSIER_SQL / f"{modele}.sql").read_text(encoding="utf-8")

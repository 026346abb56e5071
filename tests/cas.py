"""The rule cases of tests/rules/*.yaml: one format, read and applied here, for the runner
(tests/transforms/test_regles.py) and for the property tests of each rule.

A file names its dispositif (``regle``: its name in the registry), and may give:
- ``annee``: the year N of every case that does not say;
- ``parametres``: values no public text gives, supplied as a user's overlay would
  (``{parametre: {date: valeur}}`` of the rule's parameter file); a case may add its own;
- ``entrees``: the rows every case starts from, per input model (a case's rows replace them);
- ``defaut``: the base row of an input model: a row of a case or of ``entrees`` gives only what differs
  (``activite_medecins`` starts from medecin_defaut.yaml, an in-scope GP with no activity).

A case gives ``nom`` (the sentence of the text it checks), its rows per input model (a mapping: one row; a
list: several) and what it expects:
- ``justificatif``: values of the beneficiary's justification (its fields, or the measures of its
  ``detail``); null: the rule evaluates nobody;
- ``contrat``: values of the justification of the case's one contract (``reference_contrat`` set);
- ``paiements``: every payment line of the dispositif, in any order, each ``[nature, due date, cents]`` or,
  for a contract, ``[nature, contract year, due date, cents]``;
- ``controles``: the reasons the control list gives for the case's contract.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import polars as pl
import yaml

from transforms.calcul import Resultats, calculer
from transforms.parametres import JeuParametres
from transforms.registre import regles_nommees
from transforms.rules.aide_assistant_medical import SCHEMA_SEUILS

DOSSIER = Path(__file__).parent / "rules"
MEDECIN = yaml.safe_load((DOSSIER / "medecin_defaut.yaml").read_text(encoding="utf-8"))

# the columns of the models a case may give, where a YAML value alone does not say the type
TYPES = {
    "activite_medecins": {
        "ps": pl.String,
        "zone": pl.String,
        "annee_naissance": pl.Int64,
        "date_installation": pl.Date,
    },
    "seuils_reference": SCHEMA_SEUILS,
    "contrats_assistant_medical": {  # transforms/sql/marts/contrats_assistant_medical.sql
        "reference_contrat": pl.String,
        "cabinet": pl.String,
        "ps": pl.String,
        "date_signature": pl.Date,
        "option": pl.String,
        "date_fin": pl.Date,
        "indicateur": pl.String,
        "valeur_initiale": pl.Int64,
        "objectif": pl.Int64,
        "est_signe_en_n": pl.Boolean,
        "est_optam_signature": pl.Boolean,
        "patientele_mt_signature": pl.Int64,
    },
    "categories_medecin_traitant": {
        "ps": pl.String,
        "categorie": pl.String,
        "nb_patients": pl.Int64,
        "nb_patients_c2s": pl.Int64,
    },
    "declarants_aide_perte_activite_covid": {
        "ps": pl.String,
        "date_installation": pl.Date,
        **{
            c: pl.Int64
            for c in (
                "nb_declarations",
                "acompte_verse",
                "aide_activite_partielle",
                "aide_fonds_solidarite",
                "ij_percues",
                "pfs_cat_cod",
                "specialite",
                "secteur",
                "cnv_cnv_cod",
                "exc_exc_nat",
                "honoraires_2019",
                "honoraires_2020",
            )
        },
    },
    "contrats_cpts": {
        "cpts_id": pl.String,
        "date_signature": pl.Date,
        "date_fin": pl.Date,
        "population": pl.Int64,
        "mission": pl.String,
        "date_debut_mission": pl.Date,
        "taux_atteinte": pl.Float64,
    },
}


def fichiers() -> list[Path]:
    return sorted(f for f in DOSSIER.glob("*.yaml") if f.name != "medecin_defaut.yaml")


def lire(f: Path) -> dict:
    return yaml.safe_load(f.read_text(encoding="utf-8"))


def trame(entree: str, lignes: list[dict]) -> pl.DataFrame:
    """One input model's frame from its rows (typed as the model writes them)."""
    types = TYPES.get(entree, {})
    if not lignes:
        if entree not in TYPES:
            raise KeyError(f"no column types for an empty {entree}: add them to tests/cas.py TYPES")
        return pl.DataFrame(schema=types)
    return pl.DataFrame(lignes, schema_overrides={c: t for c, t in types.items() if c in lignes[0]})


def entrees_du_cas(fichier: dict, cas: dict) -> dict[str, pl.DataFrame]:
    """The frames of every input the rule reads, for one case."""
    defauts = {"activite_medecins": MEDECIN} | {
        k: (MEDECIN | v if k == "activite_medecins" else v) for k, v in (fichier.get("defaut") or {}).items()
    }
    frames = {}
    for regle in regles_nommees(fichier["regle"]):
        for entree in regle.entrees:
            lignes = cas.get(entree, (fichier.get("entrees") or {}).get(entree, []))
            lignes = [lignes] if isinstance(lignes, dict) else lignes
            frames[entree] = trame(entree, [defauts.get(entree, {}) | x for x in lignes])
    return frames


def ecrire_overlay(dossier: Path, regle: str, valeurs: dict) -> Path:
    """A user's overlay folder giving ``{parametre: {date: valeur}}`` of one parameter file."""
    dossier.mkdir(parents=True, exist_ok=True)
    contenu = {
        "parametres": {
            nom: {"valeurs": {d: {"valeur": v, "source": "test case"} for d, v in dates.items()}}
            for nom, dates in valeurs.items()
        }
    }
    (dossier / f"{regle}.yaml").write_text(yaml.safe_dump(contenu, allow_unicode=True), encoding="utf-8")
    return dossier


def appliquer(nom: str, entrees: dict[str, pl.DataFrame], p: JeuParametres, annee: int) -> Resultats:
    """The registry's entries of dispositif ``nom`` applied to year N, as a run applies them."""
    return calculer(entrees, p, annee, regles_nommees(nom))


def valeur(ligne: dict, cle: str):
    """A justification's field, or a measure of its detail (dates of the detail are ISO text)."""
    if cle in ligne:
        return ligne[cle]
    detail = json.loads(ligne["detail"])
    if cle not in detail:
        raise KeyError(f"{cle} is neither a field nor a measure of the justification: {sorted(detail)}")
    return detail[cle]


def attendu(v):
    return v.isoformat() if isinstance(v, date) else v

"""The DuckDB models of a year (transforms/sql/, one per file) and the variables they read.

Models are SELECT statements in three layers, one folder each:
- ``staging/stg_<table>``: one lake table (or reference nomenclature) each, SNDS names renamed to domain names
  once; views, so that DuckDB reads only the columns and rows their readers need;
- ``intermediate/int_*``: joins and aggregations, stored as tables;
- ``marts/``: what the rules read (``activite_medecins``, ``percentiles``, …), stored as tables.

A model names the models it reads in its SQL; the run order is derived from that. Its first line states its
grain and its key (``[key: col, …]``; ``none`` for a table of events), which a test checks on a generated
lake. A model marked ``[kept]`` reads one lake year's claims and is kept in the lake beside that year
(flows/modeles.py): the run of N computes it once for N, and reads the one of N−1 as ``<model>_prec``
instead of reading N−1's claims again. Models read the lake through ``getvariable('t_<TABLE>')`` and every
figure through a variable set here from the dated parameters (no literal of a legal text in SQL). Pure:
reads the SQL files, runs nothing.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from transforms.parametres import JeuParametres
from transforms.registre import en_vigueur

DOSSIER_SQL = Path(__file__).resolve().parent / "sql"
COUCHES = ("staging", "intermediate", "marts")
ANNEE_PRECEDENTE = "ER_PRS_F_prec"  # the claims of N−1, read by the rules that look back a year
SUFFIXE_PREC = "_prec"  # ``<kept model>_prec``: that model of the lake's year N−1


@dataclass(frozen=True)
class Modele:
    nom: str
    couche: str
    texte: str
    grain: str  # the first line, without its key
    cle: tuple[str, ...]  # the columns that identify a row (empty: a table of events)
    lit: tuple[str, ...]  # the models its SQL reads
    tables: tuple[str, ...]  # the lake tables its SQL reads (``getvariable('t_<TABLE>')``)
    garde: bool = False  # kept in the lake beside the year whose claims it reads (``[kept]``)
    lit_prec: tuple[str, ...] = ()  # the kept models of N−1 it reads (``<model>_prec``)

    @property
    def est_vue(self) -> bool:
        return self.couche == "staging"


def _sans_commentaires(texte: str) -> str:
    return re.sub(r"--[^\n]*", "", texte)


@functools.cache
def catalogue() -> dict[str, Modele]:
    """Every model of transforms/sql/, by name."""
    fichiers = {
        f.stem: (couche, f) for couche in COUCHES for f in sorted((DOSSIER_SQL / couche).glob("*.sql"))
    }
    modeles = {}
    for nom, (couche, f) in fichiers.items():
        texte = f.read_text(encoding="utf-8")
        premiere = texte.splitlines()[0]
        m = re.fullmatch(r"-- grain: (.*) \[key: ([\w, ]+)\]( \[kept\])?", premiere)
        if not m:
            raise ValueError(f"{f.name}: the first line must be '-- grain: … [key: col, …|none]( [kept])'")
        cle = () if m.group(2) == "none" else tuple(c.strip() for c in m.group(2).split(","))
        code = _sans_commentaires(texte)
        lit = tuple(sorted(n for n in fichiers if n != nom and re.search(rf"\b{n}\b", code)))
        prec = tuple(sorted(n for n in fichiers if re.search(rf"\b{n}{SUFFIXE_PREC}\b", code)))
        tables = tuple(sorted(set(re.findall(r"getvariable\('t_(\w+)'\)", code))))
        modeles[nom] = Modele(nom, couche, texte, m.group(1), cle, lit, tables, bool(m.group(3)), prec)
    for m in modeles.values():
        if any(not modeles[p].garde for p in m.lit_prec):
            raise ValueError(f"{m.nom}.sql reads the year N−1 of a model that is not [kept]")
        if m.garde and m.couche != "intermediate":
            raise ValueError(f"{m.nom}.sql: only an intermediate model can be [kept]")
    return modeles


def ordre(cibles: tuple[str, ...] | list[str]) -> list[str]:
    """The models ``cibles`` need, themselves included, each after every model it reads."""
    modeles, vus, ordonnes = catalogue(), set(), []

    def visiter(nom: str, chemin: tuple[str, ...]) -> None:
        if nom in chemin:
            raise ValueError(f"models read each other in a circle: {' → '.join((*chemin, nom))}")
        if nom in vus:
            return
        for lu in modeles[nom].lit:
            visiter(lu, (*chemin, nom))
        vus.add(nom)
        ordonnes.append(nom)

    for c in cibles:
        visiter(c, ())
    return ordonnes


def tables_lues(nom: str) -> list[str]:
    """The lake tables a model reads, directly or through the views it reads (stored models excepted); the
    claims of N−1 not when the model keeps only the lines of N (``WHERE``/``AND NOT est_annee_precedente``:
    DuckDB then skips their file)."""
    modeles = catalogue()
    tables, a_voir = set(modeles[nom].tables), list(modeles[nom].lit)
    while a_voir:
        m = modeles[a_voir.pop()]
        if m.est_vue:
            tables |= set(m.tables)
            a_voir += m.lit
    code = _sans_commentaires(modeles[nom].texte)
    if re.search(r"\b(WHERE|AND)\s+NOT\s+(\w+\.)?est_annee_precedente\b", code):
        tables.discard(ANNEE_PRECEDENTE)
    return sorted(tables)


def variables_lues(nom: str) -> set[str]:
    """The variables a model reads (``getvariable``), itself or through the models it reads."""
    modeles = catalogue()
    return {
        v
        for m in ordre([nom])
        for v in re.findall(r"getvariable\('(\w+)'\)", _sans_commentaires(modeles[m].texte))
    }


def tables_du_lake() -> list[str]:
    """The lake tables the models read (the N−1 claims excepted)."""
    return sorted({t for m in catalogue().values() for t in m.tables} - {ANNEE_PRECEDENTE})


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
    covid = en_vigueur("aide_perte_activite_covid", p, annee)
    periode = p.a("aide_perte_activite_covid", "periode", date(annee, 12, 31)) if covid else None

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
        "aide_perte_activite_covid": covid,
        "perte_activite_debut": jour(annee, periode and periode["debut"]),
        "perte_activite_fin": jour(annee, periode and periode["fin"]),
        "perte_activite_debut_prec": jour(annee - 1, periode and periode["debut"]),
        "perte_activite_fin_prec": jour(annee - 1, periode and periode["fin"]),
        "perte_activite_nat_rgt_autres": [
            int(x)
            for x in (
                p.a("aide_perte_activite_covid", "prs_nat_rgt_autres_professions", date(annee, 12, 31))
                if covid
                else []
            )
        ],
        "financement_cpts": en_vigueur("financement_cpts", p, annee),
    }


def de_l_annee(v: dict[str, object], annee: int) -> dict[str, object]:
    """The variables ``v`` of a run with the year they name set to ``annee``: those of a kept model of another
    lake year (the run of N reads the one of N−1 under its own codes and figures)."""
    return v | {
        "annee": annee,
        "debut": date(annee, 1, 1),
        "fin": date(annee, 12, 31),
        "debut_prec": date(annee - 1, 1, 1),
    }


def besoin_annee_precedente(v: dict[str, object]) -> list[tuple[str, str]]:
    """(rule, what its models read of year N−1) for the rules of N that look back a year, given the variables
    of N: the patients seen in N−1, kept beside it (``int_patients_vus``), or N−1's claims
    (``ER_PRS_F_prec``)."""
    besoins = (
        ("forfait_medecin_traitant", "int_patients_vus", v["fmt_non_vu"]),
        ("aide_perte_activite_covid", ANNEE_PRECEDENTE, v["aide_perte_activite_covid"]),
    )
    return [(regle, lu) for regle, lu, besoin in besoins if besoin]

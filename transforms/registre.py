"""The registry of the dispositifs: each declares itself once, here, and the annual run, the simulation, the
outputs' checks, ``explain`` and the demo iterate over ``REGLES``.

A dispositif is a ``Regle``: its name (rule module, parameter file, test cases), the ``dispositif`` value of
its payment lines, the models it reads (``entrees``: the evaluation function's parameters, in order), the
parameter whose first date is its own (``vigueur``) and the date of N at which it reads its parameters, how
its result becomes rows to pay (``lignes``), the amounts its FORFAIT lines may carry (``montants``).

Adding a dispositif: its rule file (transforms/rules/), its SQL model(s) (transforms/sql/), its parameter file
(data/parameters/), its test cases (tests/rules/), and one ``Regle`` line below.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

import polars as pl

from transforms.paiements import justificatifs
from transforms.parametres import JeuParametres
from transforms.rules import (
    aide_assistant_medical,
    aide_perte_activite_covid,
    financement_cpts,
    forfait_ame,
    forfait_ipa,
    forfait_medecin_traitant,
    forfait_msu,
    forfait_sas,
)
from transforms.rules.commun import lignes_forfait_annuel


def premier_janvier(annee: int) -> date:
    return date(annee, 1, 1)


def trente_et_un_decembre(annee: int) -> date:
    return date(annee, 12, 31)


def annee_de_versement(annee: int) -> date:
    """1 January N+1: a grid chosen by the payment year (forfait médecin traitant)."""
    return date(annee + 1, 1, 1)


# Inputs that are not DuckDB models: flows computes them from the lake before the rules run.
SEUILS_REFERENCE = "seuils_reference"  # P30/P90/P95 per specialty on the aid's reference distribution (§1)
ENTREES_DERIVEES = (SEUILS_REFERENCE,)


@dataclass(frozen=True)
class Regle:
    nom: str  # rule module, parameter file (data/parameters/<nom>.yaml), test cases
    dispositif: str  # the payment file's value (outputs.md)
    evaluer: Callable[..., pl.DataFrame]  # pure: (*entrees, p, annee) → one row per beneficiary evaluated
    entrees: tuple[str, ...]  # the models it reads, in ``evaluer``'s order
    vigueur: str  # the parameter whose first date (and a null end, if any) bound the dispositif
    lue_au: Callable[[int], date] = premier_janvier  # the date of N at which its parameters are read
    lignes: Callable[[pl.DataFrame, JeuParametres, int], pl.DataFrame] | None = lignes_forfait_annuel
    montants: Callable[[JeuParametres, int], list[int]] | None = None  # closed list for FORFAIT lines
    beneficiaire_type: str = "PS"  # PS (doctor: column ``ps``) or CPTS (column ``cpts_id``)
    population: str | None = "activite_medecins"  # whose rows say "not in force" (None: no row)
    justifier: Callable[[pl.DataFrame], pl.DataFrame] | None = None  # default: one row per beneficiary
    controles: tuple[str, Callable[[pl.DataFrame | None], pl.DataFrame]] | None = None  # (name, list)
    description: str = field(default="", compare=False)

    @property
    def id_col(self) -> str:
        return "cpts_id" if self.beneficiaire_type == "CPTS" else "ps"

    def en_vigueur(self, p: JeuParametres, annee: int) -> bool:
        """The dispositif exists for year N when its ``vigueur`` parameter has a value on its date of N."""
        return p.parametre(self.nom, self.vigueur).existe_au(self.lue_au(annee))

    def justificatifs(self, resultat: pl.DataFrame) -> pl.DataFrame:
        if self.justifier is not None:
            return self.justifier(resultat)
        return justificatifs(resultat, self.beneficiaire_type, self.id_col)


REGLES: tuple[Regle, ...] = (
    Regle(
        "forfait_ame",
        "FORFAIT_AME",
        forfait_ame.forfait_ame,
        entrees=("activite_medecins",),
        vigueur="montant_centimes",
        montants=forfait_ame.montants_forfait_ame,
    ),
    Regle(
        "forfait_ipa",
        "FORFAIT_IPA",
        forfait_ipa.forfait_ipa,
        entrees=("activite_medecins",),
        vigueur="paliers",
        montants=forfait_ipa.montants_forfait_ipa,
    ),
    Regle(
        "forfait_sas",
        "FORFAIT_SAS",
        forfait_sas.forfait_sas,
        entrees=("activite_medecins",),
        vigueur="montant_centimes",
        montants=forfait_sas.montants_forfait_sas,
    ),
    Regle(
        "forfait_msu",
        "FORFAIT_MSU",
        forfait_msu.forfait_msu,
        entrees=("activite_medecins",),
        vigueur="montant_hors_zip_centimes",
        montants=forfait_msu.montants_forfait_msu,
    ),
    Regle(  # the eligibility list of N: justifications, no payment line
        "aide_assistant_medical",
        "AIDE_ASSISTANT_MEDICAL",
        aide_assistant_medical.eligibilite,
        entrees=("activite_medecins", SEUILS_REFERENCE),
        vigueur="montants_centimes",
        lue_au=trente_et_un_decembre,
        lignes=None,
    ),
    Regle(  # the contracts: installments of N+1, one justification per contract, the control list
        "aide_assistant_medical",
        "AIDE_ASSISTANT_MEDICAL",
        aide_assistant_medical.contrats,
        entrees=("activite_medecins", "contrats_assistant_medical", SEUILS_REFERENCE),
        vigueur="montants_centimes",
        lue_au=trente_et_un_decembre,
        lignes=aide_assistant_medical.lignes_contrats,
        population=None,
        justifier=aide_assistant_medical.justificatifs_contrats,
        controles=("aide_assistant_medical", aide_assistant_medical.controles_contrats),
    ),
    Regle(
        "forfait_medecin_traitant",
        "FORFAIT_MEDECIN_TRAITANT",
        forfait_medecin_traitant.forfait_medecin_traitant,
        entrees=("activite_medecins", "categories_medecin_traitant"),
        vigueur="grille_centimes",
        lue_au=annee_de_versement,
        lignes=forfait_medecin_traitant.lignes_echeances,
    ),
    Regle(
        "aide_perte_activite_covid",
        "AIDE_PERTE_ACTIVITE_COVID",
        aide_perte_activite_covid.aide_perte_activite_covid,
        entrees=("declarants_aide_perte_activite_covid",),
        vigueur="periode",
        lue_au=trente_et_un_decembre,
        lignes=aide_perte_activite_covid.lignes_regularisation,
        population=None,
    ),
    Regle(
        "financement_cpts",
        "FINANCEMENT_CPTS",
        financement_cpts.financement_cpts,
        entrees=("contrats_cpts",),
        vigueur="fonctionnement_centimes",
        lue_au=trente_et_un_decembre,
        beneficiaire_type="CPTS",
        population="contrats_cpts",
    ),
)


def regles_nommees(nom: str, regles: Sequence[Regle] = REGLES) -> list[Regle]:
    """The registry's entries of one dispositif (the assistant aid has two: eligibility and contracts)."""
    trouvees = [r for r in regles if r.nom == nom]
    if not trouvees:
        raise KeyError(f"no dispositif '{nom}' in the registry; known: {', '.join(noms(regles))}")
    return trouvees


def noms(regles: Iterable[Regle] = REGLES) -> list[str]:
    return list(dict.fromkeys(r.nom for r in regles))


def dispositifs(regles: Iterable[Regle] = REGLES) -> list[str]:
    return list(dict.fromkeys(r.dispositif for r in regles))


def en_vigueur(nom: str, p: JeuParametres, annee: int, regles: Sequence[Regle] = REGLES) -> bool:
    """Whether the dispositif ``nom`` exists for year N (any of its entries)."""
    return any(r.en_vigueur(p, annee) for r in regles_nommees(nom, regles))


def modeles_lus(regles: Iterable[Regle] = REGLES) -> list[str]:
    """The DuckDB models the rules read (what a run must compute), in the registry's order."""
    return list(dict.fromkeys(e for r in regles for e in r.entrees if e not in ENTREES_DERIVEES))


def montants_permis(p: JeuParametres, annee: int, regles: Iterable[Regle] = REGLES) -> dict[str, list[int]]:
    """Amounts a FORFAIT line may carry for year N, per dispositif with a closed list (checked on outputs)."""
    return {
        r.dispositif: r.montants(p, annee)
        for r in regles
        if r.montants is not None and r.en_vigueur(p, annee)
    }

"""Aide à l'emploi d'un assistant médical: the eligibility list of year N, and every contract installment due
in N+1.

Règle (seed 003_7013443dea6f0724.txt ; rules.md §1, §6) :
- Éligibilité à une date D (« Conditions d'éligibilité », « Les exceptions ») : secteur 1, ou secteur 2
  adhérent à l'Optam / Optam-CO à D ; spécialité non exclue (radiologie, radiothérapie, stomatologie,
  anesthésie, anatomo-cyto-pathologie, médecine nucléaire) ; pour les spécialités soumises au test CCAM
  (chirurgiens, puis ORL et gynéco-obstétrique à partir du 2024-06-22), honoraires CCAM de N « moins de 20 % »
  des honoraires (sans dépassement) ; activité au moins égale au P30 de la spécialité sur la distribution
  nationale du 31/12/2021 (généraliste : patientèle médecin traitant à D ; autres : file active de N).
  → ``eligibilite.py``
- Bande fixée à la signature d'après ``PAT_INI`` : P95 (≥ P95), P90 (≥ P90 et < P95), STANDARD sinon.
- Montant de l'année de contrat k : table (bande, k, option) en vigueur au début de l'année k (avant / à
  partir du 2024-06-22 ; la table publiée, jamais montant × 1,05).
- Versement (« Versement de l'aide à l'emploi ») : années 1 et 2 en une fois, l'une un mois après la
  signature, l'autre au 1er anniversaire ; à partir de la 3e année un acompte de 50 % au début de l'année
  et un solde au bout, proratisé par l'atteinte de l'objectif, l'acompte déjà versé étant soustrait (solde
  négatif = récupération). Rien n'est dû après la résiliation. Le contrat de 5 ans est « pérenne et
  renouvelable » : les années 6, 7… gardent les montants de la 3e année.
- Option 1/3 temps supprimée au 1er mai 2023 : un tel contrat signé depuis est une erreur de données.
  → ``contrats.py``
Paramètres : data/parameters/aide_assistant_medical.yaml (montants_centimes, dont la première date est celle
de l'aide).

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

from transforms.rules.aide_assistant_medical.contrats import (
    contrats,
    controles_contrats,
    justificatifs_contrats,
    lignes_contrats,
)
from transforms.rules.aide_assistant_medical.eligibilite import (
    SCHEMA_SEUILS,
    ReferenceManquante,
    annee_reference,
    eligibilite,
    seuils_reference,
    specialites_evaluees,
)

__all__ = [
    "SCHEMA_SEUILS",
    "ReferenceManquante",
    "annee_reference",
    "contrats",
    "controles_contrats",
    "eligibilite",
    "justificatifs_contrats",
    "lignes_contrats",
    "seuils_reference",
    "specialites_evaluees",
]

"""Every rule of the annual run of year N, applied together: what the flow writes, built without I/O.

Inputs are the model outputs (``activite_medecins``, ``int_contrats_aam``, ``int_categories_mt``,
``int_dipa``, ``int_cpts``) and the reference thresholds of the assistant aid; outputs are the payment lines,
the justifications and the control list of the run.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from transforms.forfaits_annuels import appliquer_regles
from transforms.paiements import justificatifs, lignes_ps
from transforms.parametres import JeuParametres
from transforms.rules.aide_assistant_medical import aide_assistant_medical
from transforms.rules.aide_perte_activite_covid import aide_perte_activite_covid, lignes_regularisation
from transforms.rules.financement_cpts import financement_cpts, lignes_cpts
from transforms.rules.forfait_medecin_traitant import forfait_medecin_traitant, lignes_echeances


@dataclass(frozen=True)
class Resultats:
    paiements: pl.DataFrame
    justificatifs: pl.DataFrame
    controles_aam: pl.DataFrame


def specialites_evaluees(activite: pl.DataFrame, contrats: pl.DataFrame) -> list[int]:
    """Specialties whose reference thresholds the aid needs: in-scope doctors' and contract holders'."""
    porteurs = activite.join(contrats.select("ps").unique(), on="ps", how="semi")
    s = pl.concat([activite.filter(pl.col("est_dans_champ")), porteurs])["specialite"]
    return sorted(int(x) for x in s.drop_nulls().unique())


def calculer(
    activite: pl.DataFrame,
    contrats: pl.DataFrame,
    seuils_aam: pl.DataFrame,
    categories_mt: pl.DataFrame,
    p: JeuParametres,
    annee: int,
    dipa: pl.DataFrame,
    cpts: pl.DataFrame,
) -> Resultats:
    forfaits, justifs = appliquer_regles(activite, p, annee)
    aam, justifs_aam, controles = aide_assistant_medical(activite, contrats, seuils_aam, p, annee)
    fmt = forfait_medecin_traitant(activite, categories_mt, p, annee)
    covid = aide_perte_activite_covid(dipa, p, annee)
    cp = financement_cpts(cpts, p, annee)
    lignes = [
        forfaits,
        aam,
        lignes_echeances(fmt, p, annee),
        lignes_ps(lignes_regularisation(covid, p, annee), annee, "AIDE_PERTE_ACTIVITE_COVID"),
        lignes_ps(lignes_cpts(cp, p, annee), annee, "FINANCEMENT_CPTS", "CPTS", "cpts_id"),
    ]
    # sorted on the whole business key (unique), so that a rerun writes the same file byte for byte
    paiements = pl.concat(lignes).sort(
        "dispositif",
        "beneficiaire_type",
        "beneficiaire_id",
        "echeance",
        "reference_contrat",
        "nature_versement",
    )
    justifs = [
        justifs,
        justifs_aam,
        justificatifs(fmt),
        justificatifs(covid),
        justificatifs(cp, "CPTS", "cpts_id"),
    ]
    return Resultats(paiements, pl.concat(justifs), controles)

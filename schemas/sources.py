"""pandera models of the yearly extract's tables (inputs.md), in their validated form as stored in the lake.

Each model is the single description of its table: column names, types, descriptions and value checks. The
``metadata`` of a field tells the ingest what the model alone cannot:

- ``nomenclature``: (table, code column) of ``data/reference/nomenclatures`` the value must belong to;
- ``annee``: the date (or year) must fall in the reference year N (event tables);
- ``cabinet``: the value must be a cabinet (``PFS_PFS_NUM``) of the year's ``DA_PRA_R``;
- ``patient``: a patient identifier, never written in a message, a log or an output;
- ``montant``: a signed decimal amount in euros in the extract (2 decimals), stored as integer cents;
- ``fin_periode``: an end date where ``01/01/1600`` (the SNDS "none") is stored as null (running).

Types are those of the lake: dates are ``pl.Date``, amounts ``pl.Int64`` cents, codes ``pl.Int64``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandera.polars as pa
import polars as pl

PATIENT = {"patient": True}


def _nomenclature(table: str, code: str, **autres) -> dict:
    return {"nomenclature": (table, code), **autres}


class _Base(pa.DataFrameModel):
    class Config:
        strict = False  # extra columns are ignored (inputs.md)
        coerce = False


def _nir() -> pa.Field:
    return pa.Field(
        str_length={"min_value": 17, "max_value": 17},
        description="Identifiant anonyme du patient (BEN_NIR_PSA), 17 caractères",
        metadata=PATIENT,
    )


def _rang() -> pa.Field:
    return pa.Field(
        description="Rang de naissance du bénéficiaire", metadata=_nomenclature("IR_BER_V", "BEN_RNG_GEM")
    )


def _fin(description: str) -> pa.Field:
    """An end date: last day covered; empty or 01/01/1600 (the SNDS "none") is stored as null."""
    return pa.Field(nullable=True, description=description, metadata={"fin_periode": True})


def _ps(description: str, **metadata) -> pa.Field:
    return pa.Field(str_length={"min_value": 8, "max_value": 8}, description=description, metadata=metadata)


class ER_PRS_F(_Base):
    """One row per claim line (DCIR prestations) executed in N; cancellations carry negative quantities."""

    BEN_NIR_PSA: pl.String = _nir()
    BEN_RNG_GEM: pl.Int64 = _rang()
    EXE_SOI_DTD: pl.Date = pa.Field(
        description="Date de début d'exécution des soins", metadata={"annee": True}
    )
    FLX_DIS_DTD: pl.Date = pa.Field(description="Date de mise à disposition des données")
    PFS_EXE_NUM: pl.String = _ps("N° du cabinet exécutant", cabinet=True)
    PFS_PRE_NUM: pl.String = pa.Field(
        nullable=True,
        str_length={"min_value": 8, "max_value": 8},
        description="N° du professionnel prescripteur (vide permis)",
    )
    PSE_SPE_COD: pl.Int64 = pa.Field(
        description="Spécialité de l'exécutant", metadata=_nomenclature("IR_SPE_V", "PFS_SPE_COD")
    )
    PRS_NAT_REF: pl.Int64 = pa.Field(
        description="Nature de la prestation de référence", metadata=_nomenclature("IR_NAT_V", "PRS_NAT")
    )
    CPL_MAJ_TOP: pl.Int64 = pa.Field(
        in_range={"min_value": 0, "max_value": 2}, description="Top complément / majoration"
    )
    DPN_QLF: pl.Int64 = pa.Field(
        description="Qualificatif de la dépense (71 = pour information)",
        metadata=_nomenclature("IR_DEP_V", "DPN_QLF"),
    )
    PRS_ACT_QTE: pl.Int64 = pa.Field(description="Quantité de l'acte de base, signée (annulations < 0)")
    PRS_PAI_MNT: pl.Int64 = pa.Field(
        description="Montant de la dépense, centimes signés", metadata={"montant": True}
    )
    PRS_DEP_MNT: pl.Int64 = pa.Field(
        description="Montant du dépassement, centimes signés", metadata={"montant": True}
    )
    RGM_COD: pl.Int64 = pa.Field(
        description="Petit régime (95, 96 = AME)", metadata=_nomenclature("IR_RGM_V", "RGM_COD")
    )


class DA_PRA_R(_Base):
    """One row per cabinet, snapshot at 31/12/N; cabinets sharing STA_PFS_NUM are one practitioner."""

    PFS_PFS_NUM: pl.String = _ps("N° du cabinet")
    STA_PFS_NUM: pl.String = _ps("N° du cabinet principal (chaînage statistique)")
    PFS_CAT_COD: pl.Int64 = pa.Field(
        description="Catégorie du professionnel (1 = médecin)",
        metadata=_nomenclature("IR_CAT_V", "PFS_CAT_COD"),
    )
    PFS_PRA_SPE: pl.Int64 = pa.Field(
        description="Spécialité (IR_SPE_V) ou nature d'activité des non-médecins (IR_ACT_V)",
        metadata={"nomenclature_specialite": True},
    )
    CNV_CNV_COD: pl.Int64 = pa.Field(
        description="Convention", metadata=_nomenclature("IR_CNV_V", "PFS_CNV_COD")
    )
    EXC_EXC_NAT: pl.Int64 = pa.Field(
        description="Nature d'exercice", metadata=_nomenclature("IR_EPS_V", "EXC_EXC_NAT")
    )
    PFS_EXC_COM: pl.String = pa.Field(
        str_length={"min_value": 3, "max_value": 3}, description="Commune d'exercice (3 car.)"
    )
    PFS_INS_DSD: pl.Date = pa.Field(nullable=True, description="Date d'installation")
    IPP_ANN_NAI: pl.Int64 = pa.Field(
        in_range={"min_value": 1900, "max_value": 2010}, description="Année de naissance du PS"
    )

    @pa.dataframe_check
    def categorie_du_numero(cls, data) -> pl.LazyFrame:
        """PFS_CAT_COD equals the 3rd character of the PS number (rules.md §0)."""
        return data.lazyframe.select(
            pl.col("PFS_PFS_NUM").str.slice(2, 1) == pl.col("PFS_CAT_COD").cast(pl.String)
        )


class IR_BEN_R(_Base):
    """One row per patient (BEN_NIR_PSA, BEN_RNG_GEM)."""

    BEN_NIR_PSA: pl.String = _nir()
    BEN_RNG_GEM: pl.Int64 = _rang()
    BEN_NAI_ANN: pl.Int64 = pa.Field(
        in_range={"min_value": 1890, "max_value": 2100}, description="Année de naissance"
    )
    BEN_SEX_COD: pl.Int64 = pa.Field(description="Sexe", metadata=_nomenclature("IR_SEX_V", "SEX_COD"))
    BEN_DCD_DTE: pl.Date = _fin("Date de décès (null = vivant)")


class IR_MTT_R(_Base):
    """One row per médecin-traitant declaration (whole history)."""

    BEN_NIR_PSA: pl.String = _nir()
    BEN_RNG_GEM: pl.Int64 = _rang()
    MTT_PFS_NUM: pl.String = _ps("N° du cabinet du médecin traitant déclaré")
    MTT_DEP_DTE: pl.Date = pa.Field(description="Début de la déclaration")
    MTT_FIN_DTE: pl.Date = _fin("Fin (dernier jour; null = en cours)")


class IR_IMB_R(_Base):
    """One row per ALD exoneration period (whole history)."""

    BEN_NIR_PSA: pl.String = _nir()
    BEN_RNG_GEM: pl.Int64 = _rang()
    IMB_ALD_NUM: pl.Int64 = pa.Field(
        description="Numéro d'ALD", metadata=_nomenclature("IR_ALD_V", "ALD_030_COD")
    )
    IMB_ALD_DTD: pl.Date = pa.Field(description="Début de l'exonération")
    IMB_ALD_DTF: pl.Date = _fin("Fin (dernier jour; null = en cours)")


class IR_ORC_R(_Base):
    """One row per complementary-cover right period (C2S = ex CMU-C; whole history)."""

    BEN_NIR_PSA: pl.String = _nir()
    BEN_RNG_GEM: pl.Int64 = _rang()
    BEN_CTA_TYP: pl.Int64 = pa.Field(
        description="Type de contrat complémentaire", metadata=_nomenclature("IR_CTA_V", "BEN_CTA_TYP")
    )
    ORC_DEB_DTE: pl.Date = pa.Field(description="Début du droit")
    ORC_FIN_DTE: pl.Date = _fin("Fin du droit (dernier jour)")


class OPTAM(_Base):
    """One row per OPTAM / OPTAM-CO adhesion (whole history)."""

    PFS_PFS_NUM: pl.String = _ps("N° du cabinet adhérent")
    OPTAM_TYP: pl.String = pa.Field(isin=["OPTAM", "OPTAM_CO"], description="Type d'adhésion")
    ADH_DEB_DTE: pl.Date = pa.Field(description="Début de l'adhésion")
    ADH_FIN_DTE: pl.Date = _fin("Fin (null = en cours)")


class ZONAGE(_Base):
    """One row per commune and period of zoning."""

    COM_INSEE: pl.String = pa.Field(str_length={"min_value": 5, "max_value": 5}, description="Commune INSEE")
    ZONE: pl.String = pa.Field(isin=["ZIP", "ZAC", "HORS"], description="Zone")
    ZON_DEB_DTE: pl.Date = pa.Field(description="Début")
    ZON_FIN_DTE: pl.Date = _fin("Fin (null = en cours)")


class SAS_DEPLOIEMENT(_Base):
    """One row per département where the SAS is deployed."""

    DPT_COD: pl.String = pa.Field(str_length={"min_value": 2, "max_value": 3}, description="Département")
    SAS_OPE_DTE: pl.Date = pa.Field(description="Date où le SAS est devenu opérationnel")


class SAS_INSCRIPTIONS(_Base):
    """One row per individual registration on the national SAS platform."""

    PFS_PFS_NUM: pl.String = _ps("N° du cabinet inscrit")
    INS_DEB_DTE: pl.Date = pa.Field(description="Début de l'inscription")
    INS_FIN_DTE: pl.Date = _fin("Fin (null = en cours)")
    AGENDA_VISIBLE: pl.Boolean = pa.Field(description="Agenda visible sur la plateforme SAS")
    ORGA_TERRITORIALE: pl.Boolean = pa.Field(description="Participe à une organisation territoriale validée")


class MSU_DECLARATIONS(_Base):
    """One row per yearly maître de stage declaration."""

    PFS_PFS_NUM: pl.String = _ps("N° du cabinet déclarant", cabinet=True)
    ANNEE: pl.Int64 = pa.Field(description="Année déclarée", metadata={"annee": True})
    NB_STAGIAIRES: pl.Int64 = pa.Field(ge=1, description="Nombre de stagiaires")


class ORIENTATIONS_IPA(_Base):
    """One row per orientation of a patient towards an IPA during N."""

    PFS_PFS_NUM: pl.String = _ps("N° du cabinet du médecin qui oriente", cabinet=True)
    BEN_NIR_PSA: pl.String = _nir()
    BEN_RNG_GEM: pl.Int64 = _rang()
    IPA_PFS_NUM: pl.String = _ps("N° de l'IPA")
    ORI_DTE: pl.Date = pa.Field(description="Date de l'orientation", metadata={"annee": True})


class CONTRATS_AAM(_Base):
    """One row per contract of aide à l'emploi d'un assistant médical (rules.md §6.2)."""

    CTR_NUM: pl.String = pa.Field(str_length={"min_value": 1}, description="Numéro du contrat")
    PFS_PFS_NUM: pl.String = _ps("N° du cabinet signataire")
    CTR_SIG_DTE: pl.Date = pa.Field(description="Date de signature")
    CTR_OPT: pl.String = pa.Field(isin=["TIERS_TEMPS", "MI_TEMPS", "TEMPS_PLEIN"], description="Option")
    CTR_FIN_DTE: pl.Date = _fin("Résiliation (null = en cours)")
    PAT_IND: pl.String = pa.Field(
        isin=["PATIENTELE_MT", "FILE_ACTIVE"], description="Indicateur de l'objectif"
    )
    PAT_INI: pl.Int64 = pa.Field(ge=0, description="Valeur de l'indicateur à la signature")
    PAT_OBJ: pl.Int64 = pa.Field(ge=0, description="Niveau à atteindre à partir de la 3e année")


class DIPA_DECLARATIONS(_Base):
    """One row per declaration of the 2020 Covid activity-loss aid (rules.md §8)."""

    PFS_PFS_NUM: pl.String = _ps("N° du cabinet déclarant", cabinet=True)
    ACOMPTE_VERSE: pl.Int64 = pa.Field(description="Acompte versé, centimes", metadata={"montant": True})
    AIDE_ACTIVITE_PARTIELLE: pl.Int64 = pa.Field(
        ge=0, description="Activité partielle, centimes", metadata={"montant": True}
    )
    AIDE_FONDS_SOLIDARITE: pl.Int64 = pa.Field(
        ge=0, description="Fonds de solidarité, centimes", metadata={"montant": True}
    )
    IJ_PERCUES: pl.Int64 = pa.Field(
        ge=0, description="Indemnités journalières, centimes", metadata={"montant": True}
    )
    PART_SUBSTANTIELLE: pl.Boolean = pa.Field(
        description="L'activité conventionnée est une part substantielle des revenus"
    )


class CPTS_CONTRATS(_Base):
    """One row per CPTS contract."""

    CPTS_ID: pl.String = pa.Field(str_length={"min_value": 1}, description="Identifiant de la CPTS")
    SIG_DTE: pl.Date = pa.Field(description="Signature")
    POPULATION: pl.Int64 = pa.Field(ge=0, description="Population couverte")
    FIN_DTE: pl.Date = _fin("Fin (null = en cours)")


class CPTS_MISSIONS(_Base):
    """One row per mission of a CPTS."""

    CPTS_ID: pl.String = pa.Field(str_length={"min_value": 1}, description="Identifiant de la CPTS")
    MISSION: pl.String = pa.Field(
        isin=["ACCES_SOINS", "PARCOURS", "PREVENTION", "CRISE", "QUALITE", "ACCOMPAGNEMENT"],
        description="Mission",
    )
    DEB_DTE: pl.Date = pa.Field(description="Début de la mission")
    TAUX_ATTEINTE: pl.Float64 = pa.Field(
        in_range={"min_value": 0.0, "max_value": 1.0}, description="Atteinte de la part variable (0–1)"
    )


@dataclass(frozen=True)
class Table:
    """What the ingest needs to know of a table beyond its columns."""

    nom: str
    modele: type[pa.DataFrameModel]
    cle: tuple[str, ...] = ()  # business key; duplicates are resolved at ingest
    requise: bool = False  # a missing file is always a structural error
    non_vide: bool = False  # a file with no row is a structural error
    requise_si: tuple[str, ...] = field(default_factory=tuple)  # dispositifs whose being in force needs it


TABLES: dict[str, Table] = {
    t.nom: t
    for t in [
        Table("DA_PRA_R", DA_PRA_R, cle=("PFS_PFS_NUM",), requise=True, non_vide=True),
        Table("ER_PRS_F", ER_PRS_F, requise=True, non_vide=True),
        Table("IR_BEN_R", IR_BEN_R, cle=("BEN_NIR_PSA", "BEN_RNG_GEM"), requise=True),
        Table("IR_MTT_R", IR_MTT_R, requise=True),
        Table("IR_IMB_R", IR_IMB_R, requise=True),
        Table("IR_ORC_R", IR_ORC_R, requise=True),
        Table("OPTAM", OPTAM, requise_si=("aide_assistant_medical", "forfait_medecin_traitant")),
        Table("ZONAGE", ZONAGE, requise_si=("forfait_msu", "forfait_medecin_traitant")),
        Table("SAS_DEPLOIEMENT", SAS_DEPLOIEMENT, cle=("DPT_COD",), requise_si=("forfait_sas",)),
        Table("SAS_INSCRIPTIONS", SAS_INSCRIPTIONS, requise_si=("forfait_sas",)),
        Table(
            "MSU_DECLARATIONS", MSU_DECLARATIONS, cle=("PFS_PFS_NUM", "ANNEE"), requise_si=("forfait_msu",)
        ),
        Table("ORIENTATIONS_IPA", ORIENTATIONS_IPA, requise_si=("forfait_ipa",)),
        Table("CONTRATS_AAM", CONTRATS_AAM, cle=("CTR_NUM",), requise_si=("aide_assistant_medical",)),
        Table(
            "DIPA_DECLARATIONS",
            DIPA_DECLARATIONS,
            cle=("PFS_PFS_NUM",),
            requise_si=("aide_perte_activite_covid",),
        ),
        Table("CPTS_CONTRATS", CPTS_CONTRATS, cle=("CPTS_ID",), requise_si=("financement_cpts",)),
        Table("CPTS_MISSIONS", CPTS_MISSIONS, cle=("CPTS_ID", "MISSION"), requise_si=("financement_cpts",)),
    ]
}

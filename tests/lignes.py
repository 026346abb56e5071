"""Rows of the lake's tables written by hand for the SQL model tests (typed as the lake stores them)."""

from __future__ import annotations


def ligne_prs(
    cab, jour, nir="0" * 17, rang=1, nature=1111, qte=1, montant=2650, dep=0, qlf=0, maj=0, rgm=110
) -> dict:
    """One ER_PRS_F claim line: amounts in cents, one act of a GP by default."""
    return {
        "BEN_NIR_PSA": nir,
        "BEN_RNG_GEM": rang,
        "EXE_SOI_DTD": jour,
        "FLX_DIS_DTD": jour,
        "PFS_EXE_NUM": cab,
        "PFS_PRE_NUM": None,
        "PSE_SPE_COD": 1,
        "PRS_NAT_REF": nature,
        "CPL_MAJ_TOP": maj,
        "DPN_QLF": qlf,
        "PRS_ACT_QTE": qte,
        "PRS_PAI_MNT": montant,
        "PRS_DEP_MNT": dep,
        "RGM_COD": rgm,
    }

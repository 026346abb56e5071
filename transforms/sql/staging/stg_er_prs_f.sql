-- grain: one row per claim line of ER_PRS_F of N and of N−1 (the rows of both lake files, renamed once) [key: none]
-- The N−1 file is the lake's year N−1 when a rule of N reads it (transforms/modeles.py), else an empty file;
-- a model of N alone filters NOT est_annee_precedente, which removes the N−1 branch before anything is read.
-- patient: the 64-bit key of (BEN_NIR_PSA, BEN_RNG_GEM), valid inside one run only (docs/decisions.md).
SELECT
    BEN_NIR_PSA AS nir,
    BEN_RNG_GEM AS rang_naissance,
    hash(BEN_NIR_PSA, BEN_RNG_GEM) AS patient,
    EXE_SOI_DTD AS date_soins,
    FLX_DIS_DTD AS date_flux,
    PFS_EXE_NUM AS cabinet,
    PFS_PRE_NUM AS prescripteur,
    PSE_SPE_COD AS specialite_executant,
    PRS_NAT_REF AS nature,
    CPL_MAJ_TOP AS top_majoration,
    DPN_QLF AS qualificatif_depense,
    PRS_ACT_QTE AS quantite,
    PRS_PAI_MNT AS depense_centimes,
    PRS_DEP_MNT AS depassement_centimes,
    RGM_COD AS regime,
    est_annee_precedente
FROM (
    SELECT *, false AS est_annee_precedente FROM read_parquet(getvariable('t_ER_PRS_F'))
    UNION ALL BY NAME
    SELECT *, true AS est_annee_precedente FROM read_parquet(getvariable('t_ER_PRS_F_prec'))
)

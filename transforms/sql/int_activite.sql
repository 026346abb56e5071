-- grain: one row per doctor (STA_PFS_NUM) with claim lines in N: acts, AME acts, fees and file active (rules.md §0)
-- Cancellations are netted (quantities and amounts summed with their signs); "pour information" lines dropped.
-- patient: the 64-bit key of (BEN_NIR_PSA, BEN_RNG_GEM), valid inside one run only (README, "Patient key").
-- For the reference year (only its percentiles asked: variable percentiles_seulement), a doctor whose percentile
-- value is not his file active (a GP: patientèle MT) or who is out of scope reads no claim line.
WITH cabinets AS (
    SELECT cabinet, ps
    FROM stg_cabinets
    WHERE NOT getvariable('percentiles_seulement')
        OR ps IN (SELECT ps FROM int_medecins WHERE est_dans_champ AND NOT est_generaliste)
),
lignes AS (
    SELECT
        c.ps,
        hash(l.BEN_NIR_PSA, l.BEN_RNG_GEM) AS patient,
        l.PRS_ACT_QTE AS qte,
        l.PRS_PAI_MNT - l.PRS_DEP_MNT AS honoraires,
        l.CPL_MAJ_TOP <= getvariable('cpl_max') AND list_contains(getvariable('nat_rgt_actes'), n.prs_nat_rgt)
            AS est_acte,
        list_contains(getvariable('nat_rgt_ccam'), n.prs_nat_rgt) AS est_ccam,
        list_contains(getvariable('rgm_ame'), l.RGM_COD) AS est_ame
    FROM read_parquet(getvariable('t_ER_PRS_F')) l
    JOIN cabinets c ON c.cabinet = l.PFS_EXE_NUM
    LEFT JOIN stg_natures n ON n.prs_nat = l.PRS_NAT_REF
    WHERE l.EXE_SOI_DTD BETWEEN getvariable('debut') AND getvariable('fin')
        AND l.DPN_QLF <> getvariable('dpn_info')
),
par_patient AS (
    SELECT
        ps,
        patient,
        sum(qte) FILTER (WHERE est_acte) AS nb_actes,
        sum(qte) FILTER (WHERE est_acte AND est_ame) AS nb_actes_ame,
        sum(honoraires) AS honoraires,
        sum(honoraires) FILTER (WHERE est_ccam) AS honoraires_ccam
    FROM lignes
    GROUP BY ps, patient
)
SELECT
    ps,
    coalesce(sum(nb_actes), 0)::BIGINT AS nb_actes,
    coalesce(sum(nb_actes_ame), 0)::BIGINT AS nb_actes_ame,
    coalesce(sum(honoraires), 0)::BIGINT AS honoraires_sans_depassement_centimes,
    coalesce(sum(honoraires_ccam), 0)::BIGINT AS honoraires_ccam_centimes,
    count(*) FILTER (WHERE nb_actes > 0) AS file_active
FROM par_patient
GROUP BY ps

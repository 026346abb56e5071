-- grain: one row per doctor (STA_PFS_NUM) with claim lines in N: acts, AME acts, fees and file active (rules.md §0) [key: ps]
-- Cancellations are netted (quantities and amounts summed with their signs); "pour information" lines dropped.
-- For the reference year (only its percentiles asked: variable percentiles_seulement), a doctor whose percentile
-- value is not his file active (a GP: patientèle MT) or who is out of scope reads no claim line.
WITH cabinets AS (
    SELECT cabinet, ps
    FROM stg_da_pra_r
    WHERE NOT getvariable('percentiles_seulement')
        OR ps IN (SELECT ps FROM int_medecins WHERE est_dans_champ AND NOT est_generaliste)
),
lignes AS (
    SELECT
        c.ps,
        l.patient,
        l.quantite AS qte,
        l.depense_centimes - l.depassement_centimes AS honoraires,
        l.top_majoration <= getvariable('cpl_max') AND list_contains(getvariable('nat_rgt_actes'), n.prs_nat_rgt)
            AS est_acte,
        list_contains(getvariable('nat_rgt_ccam'), n.prs_nat_rgt) AS est_ccam,
        list_contains(getvariable('rgm_ame'), l.regime) AS est_ame
    FROM stg_er_prs_f l
    JOIN cabinets c ON c.cabinet = l.cabinet
    LEFT JOIN stg_ir_nat_v n ON n.prs_nat = l.nature
    WHERE NOT l.est_annee_precedente
        AND l.date_soins BETWEEN getvariable('debut') AND getvariable('fin')
        AND l.qualificatif_depense <> getvariable('dpn_info')
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

-- grain: one row per doctor (STA_PFS_NUM) with claim lines in N: acts, AME acts, fees and file active (rules.md §0) [key: ps]
-- Cancellations are netted (quantities and amounts summed with their signs); "pour information" lines dropped.
-- The file active counts the patients seen in N (int_patients_vus: net act quantity > 0).
WITH lignes AS (
    SELECT
        c.ps,
        l.quantite AS qte,
        l.depense_centimes - l.depassement_centimes AS honoraires,
        l.top_majoration <= getvariable('cpl_max') AND list_contains(getvariable('nat_rgt_actes'), n.prs_nat_rgt)
            AS est_acte,
        list_contains(getvariable('nat_rgt_ccam'), n.prs_nat_rgt) AS est_ccam,
        list_contains(getvariable('rgm_ame'), l.regime) AS est_ame
    FROM stg_er_prs_f l
    JOIN stg_da_pra_r c ON c.cabinet = l.cabinet
    LEFT JOIN stg_ir_nat_v n ON n.prs_nat = l.nature
    WHERE NOT l.est_annee_precedente
        AND l.date_soins BETWEEN getvariable('debut') AND getvariable('fin')
        AND l.qualificatif_depense <> getvariable('dpn_info')
),
sommes AS (
    SELECT
        ps,
        sum(qte) FILTER (WHERE est_acte) AS nb_actes,
        sum(qte) FILTER (WHERE est_acte AND est_ame) AS nb_actes_ame,
        sum(honoraires) AS honoraires,
        sum(honoraires) FILTER (WHERE est_ccam) AS honoraires_ccam
    FROM lignes
    GROUP BY ps
),
file_active AS (
    SELECT ps, count(*) AS file_active
    FROM int_patients_vus
    GROUP BY ps
)
SELECT
    s.ps,
    coalesce(s.nb_actes, 0)::BIGINT AS nb_actes,
    coalesce(s.nb_actes_ame, 0)::BIGINT AS nb_actes_ame,
    coalesce(s.honoraires, 0)::BIGINT AS honoraires_sans_depassement_centimes,
    coalesce(s.honoraires_ccam, 0)::BIGINT AS honoraires_ccam_centimes,
    coalesce(f.file_active, 0) AS file_active
FROM sommes s
LEFT JOIN file_active f ON f.ps = s.ps

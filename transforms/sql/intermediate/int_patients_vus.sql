-- grain: one row per (doctor STA_PFS_NUM, patient) seen in the lake's year: his net act quantity for the patient, all his cabinets together, is > 0 (rules.md §0, §7) [key: ps, patient] [kept]
-- Kept in the lake beside its year: the file active of N (int_activite) counts the pairs of N, and the patients
-- seen in N−1 or N (categories_medecin_traitant) are the pairs of N and of N−1 (int_patients_vus_prec), so
-- that no run reads the claims of N−1 again. Cancellations are netted; "pour information" lines dropped.
-- Decision: a year's acts go to the doctor its own DA_PRA_R names for the cabinet (docs/decisions.md).
-- The lines are grouped on a doctor's rank among the year's doctors (a fixed-width key, docs/benchmarks.md),
-- his number put back on the pairs. The quantities are summed as DOUBLE: exact (whole numbers far below 2^53,
-- PRS_ACT_QTE bounded by the ingest's plausibility ranges) and a 16-byte state (a flag and a double) where a
-- BIGINT sum keeps 24 (a flag and a 128-bit integer), so the national hash table spills less (docs/decisions.md).
WITH cabinets AS (
    SELECT cabinet, ps, dense_rank() OVER (ORDER BY ps)::INTEGER AS rang
    FROM stg_da_pra_r
),
paires AS (
    SELECT c.rang, l.patient, sum(l.quantite::DOUBLE)::BIGINT AS nb_actes
    FROM stg_er_prs_f l
    JOIN cabinets c ON c.cabinet = l.cabinet
    JOIN stg_ir_nat_v n ON n.prs_nat = l.nature
    WHERE NOT l.est_annee_precedente
        AND l.date_soins BETWEEN getvariable('debut') AND getvariable('fin')
        AND l.qualificatif_depense <> getvariable('dpn_info')
        AND l.top_majoration <= getvariable('cpl_max')
        AND list_contains(getvariable('nat_rgt_actes'), n.prs_nat_rgt)
    GROUP BY c.rang, l.patient
    HAVING nb_actes > 0
)
SELECT m.ps, p.patient, p.nb_actes
FROM paires p
JOIN (SELECT DISTINCT rang, ps FROM cabinets) m ON m.rang = p.rang

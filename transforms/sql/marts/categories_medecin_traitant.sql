-- grain: one row per doctor (STA_PFS_NUM) × forfait médecin traitant category of his patientèle MT at 31/12/N (rules.md §7) [key: ps, categorie]
-- Counts only: patients never leave DuckDB. Age in N, ALD and C2S at 31/12/N; from the grid that has it, "not
-- seen" = no act line of the doctor with a net quantity > 0 for that patient in N−1 nor in N (it takes precedence).
WITH mt AS (
    SELECT ps, patient, getvariable('annee') - annee_naissance AS age
    FROM int_patients_mt
),
ald AS (
    SELECT DISTINCT patient
    FROM stg_ir_imb_r
    WHERE debut <= getvariable('fin') AND (fin IS NULL OR fin >= getvariable('fin'))
),
c2s AS (
    SELECT DISTINCT patient
    FROM stg_ir_orc_r
    WHERE list_contains(getvariable('cta_c2s'), type_contrat)
        AND debut <= getvariable('fin') AND (fin IS NULL OR fin >= getvariable('fin'))
),
-- the pairs seen in N and in N−1 (int_patients_vus_prec: kept beside the lake's year N−1); each holds a pair once,
-- so a patient of the patientèle is looked up in each without merging them first
vus_n AS (
    SELECT ps, patient FROM int_patients_vus WHERE getvariable('fmt_non_vu')
),
vus_prec AS (
    SELECT ps, patient FROM int_patients_vus_prec WHERE getvariable('fmt_non_vu')
),
patients AS (
    SELECT
        mt.ps,
        CASE
            WHEN getvariable('fmt_non_vu') AND v.ps IS NULL AND w.ps IS NULL THEN 'non_vu'
            WHEN a.patient IS NOT NULL AND mt.age >= getvariable('age_grand') THEN 'ald_80_plus'
            WHEN a.patient IS NOT NULL THEN 'ald_moins_80'
            WHEN mt.age < getvariable('age_enfant') THEN 'age_moins_7'
            WHEN mt.age >= getvariable('age_grand') THEN 'age_80_plus_sans_ald'
            WHEN mt.age >= getvariable('age_senior') THEN 'age_75_79_sans_ald'
            ELSE 'age_7_74_sans_ald'
        END AS categorie,
        s.patient IS NOT NULL AS est_c2s
    FROM mt
    LEFT JOIN ald a ON a.patient = mt.patient
    LEFT JOIN c2s s ON s.patient = mt.patient
    LEFT JOIN vus_n v ON v.ps = mt.ps AND v.patient = mt.patient
    LEFT JOIN vus_prec w ON w.ps = mt.ps AND w.patient = mt.patient
)
SELECT ps, categorie, count(*) AS nb_patients, count(*) FILTER (WHERE est_c2s) AS nb_patients_c2s
FROM patients
GROUP BY ps, categorie
ORDER BY ps, categorie

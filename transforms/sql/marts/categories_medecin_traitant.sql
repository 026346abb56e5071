-- grain: one row per doctor (STA_PFS_NUM) × forfait médecin traitant category of his patientèle MT at 31/12/N (rules.md §7) [key: ps, categorie]
-- Counts only: patients never leave DuckDB. Age in N, ALD and C2S at 31/12/N; from the grid that has it, "not
-- seen" = no act line of the doctor with a net quantity > 0 for that patient in N−1 nor in N (it takes precedence).
-- The patientèle is looked up once in the kept pairs of N and of N−1 together (int_patients_vus_prec: kept beside
-- the lake's year N−1): a semi join keeps each of its pairs seen in either year once, and DuckDB builds it on the
-- patientèle, the smaller side (national: 52 M pairs against 2 × 145 M). The seen pairs get their age and ALD
-- category; a doctor's "not seen" are his patientèle less his seen pairs, counted (docs/benchmarks.md).
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
-- the pairs of N and of N−1, one after the other (a pair seen both years is there twice)
vus AS (
    SELECT ps, patient FROM int_patients_vus
    UNION ALL
    SELECT ps, patient FROM int_patients_vus_prec
),
-- the pairs of the patientèle seen in N−1 or N, each once; every pair before the grid that has "not seen"
vus_mt AS (
    SELECT mt.* FROM mt SEMI JOIN vus v ON v.ps = mt.ps AND v.patient = mt.patient
    WHERE getvariable('fmt_non_vu')
    UNION ALL
    SELECT * FROM mt WHERE NOT getvariable('fmt_non_vu')
),
vus_categories AS (
    SELECT
        v.ps,
        CASE
            WHEN a.patient IS NOT NULL AND v.age >= getvariable('age_grand') THEN 'ald_80_plus'
            WHEN a.patient IS NOT NULL THEN 'ald_moins_80'
            WHEN v.age < getvariable('age_enfant') THEN 'age_moins_7'
            WHEN v.age >= getvariable('age_grand') THEN 'age_80_plus_sans_ald'
            WHEN v.age >= getvariable('age_senior') THEN 'age_75_79_sans_ald'
            ELSE 'age_7_74_sans_ald'
        END AS categorie,
        count(*) AS nb_patients,
        count(s.patient) AS nb_patients_c2s
    FROM vus_mt v
    LEFT JOIN ald a ON a.patient = v.patient
    LEFT JOIN c2s s ON s.patient = v.patient
    GROUP BY ALL
),
-- per doctor, his whole patientèle and its C2S patients; the "not seen" are what his seen pairs leave of it
tous AS (
    SELECT mt.ps, count(*) AS nb_patients, count(s.patient) AS nb_patients_c2s
    FROM mt LEFT JOIN c2s s ON s.patient = mt.patient
    GROUP BY mt.ps
),
non_vus AS (
    SELECT
        t.ps,
        'non_vu' AS categorie,
        (t.nb_patients - coalesce(sum(c.nb_patients), 0))::BIGINT AS nb_patients,
        (t.nb_patients_c2s - coalesce(sum(c.nb_patients_c2s), 0))::BIGINT AS nb_patients_c2s
    FROM tous t LEFT JOIN vus_categories c ON c.ps = t.ps
    WHERE getvariable('fmt_non_vu')
    GROUP BY t.ps, t.nb_patients, t.nb_patients_c2s
)
SELECT ps, categorie, nb_patients, nb_patients_c2s FROM vus_categories
UNION ALL
SELECT ps, categorie, nb_patients, nb_patients_c2s FROM non_vus WHERE nb_patients > 0
ORDER BY ps, categorie

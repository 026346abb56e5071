-- grain: one row per doctor (STA_PFS_NUM) with at least one médecin-traitant patient at 31/12/N (rules.md §0) [key: ps]
SELECT ps, count(*) AS patientele_mt
FROM int_patients_mt
GROUP BY ps

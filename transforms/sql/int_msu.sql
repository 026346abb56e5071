-- grain: one row per doctor (STA_PFS_NUM) who declared trainees (maître de stage) for year N (rules.md §5)
SELECT c.ps, sum(d.NB_STAGIAIRES)::BIGINT AS nb_stagiaires
FROM read_parquet(getvariable('t_MSU_DECLARATIONS')) d
JOIN stg_cabinets c ON c.cabinet = d.PFS_PFS_NUM
WHERE d.ANNEE = getvariable('annee')
GROUP BY c.ps

-- grain: one row per doctor (STA_PFS_NUM) who declared trainees (maître de stage) for year N (rules.md §5) [key: ps]
SELECT c.ps, sum(d.nb_stagiaires)::BIGINT AS nb_stagiaires
FROM stg_msu_declarations d
JOIN stg_da_pra_r c ON c.cabinet = d.cabinet
WHERE d.annee = getvariable('annee')
GROUP BY c.ps

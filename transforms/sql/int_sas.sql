-- grain: one row per doctor (STA_PFS_NUM) with a SAS registration active at 31/12/N (rules.md §4)
SELECT
    c.ps,
    true AS est_inscrit_sas,
    bool_or(i.AGENDA_VISIBLE OR i.ORGA_TERRITORIALE) AS est_agenda_ou_orga_sas
FROM read_parquet(getvariable('t_SAS_INSCRIPTIONS')) i
JOIN stg_cabinets c ON c.cabinet = i.PFS_PFS_NUM
WHERE i.INS_DEB_DTE <= getvariable('fin') AND (i.INS_FIN_DTE IS NULL OR i.INS_FIN_DTE >= getvariable('fin'))
GROUP BY c.ps

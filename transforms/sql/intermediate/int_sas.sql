-- grain: one row per doctor (STA_PFS_NUM) with a SAS registration active at 31/12/N (rules.md §4) [key: ps]
SELECT
    c.ps,
    true AS est_inscrit_sas,
    bool_or(i.agenda_visible OR i.orga_territoriale) AS est_agenda_ou_orga_sas
FROM stg_sas_inscriptions i
JOIN stg_da_pra_r c ON c.cabinet = i.cabinet
WHERE i.debut <= getvariable('fin') AND (i.fin IS NULL OR i.fin >= getvariable('fin'))
GROUP BY c.ps

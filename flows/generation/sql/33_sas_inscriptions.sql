-- one row per individual SAS registration started by 31/12 of annee (15 % of doctors)
WITH a AS (
    SELECT ps_idx, sta_pfs_num, make_date(2021, 1, 1) + floor(unif(ps_idx, 'sasd') * 2100)::INTEGER AS debut
    FROM ps WHERE categorie = 1 AND unif(ps_idx, 'sasi') < 0.15
)
SELECT sta_pfs_num AS PFS_PFS_NUM, debut AS INS_DEB_DTE,
       CASE WHEN unif(ps_idx, 'sasf') < 0.1 AND debut + 500 <= fin_annee(getvariable('annee')) THEN debut + 500 END
           AS INS_FIN_DTE,
       unif(ps_idx, 'sasa') < 0.6 AS AGENDA_VISIBLE,
       unif(ps_idx, 'saso') < 0.3 AS ORGA_TERRITORIALE
FROM a WHERE debut <= fin_annee(getvariable('annee'))
UNION ALL BY NAME
SELECT * FROM bornes_sas_inscriptions WHERE INS_DEB_DTE <= fin_annee(getvariable('annee'))

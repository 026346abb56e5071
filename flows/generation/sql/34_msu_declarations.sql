-- one row per maître de stage declaration of annee (12 % of GPs, 3 % of other doctors)
SELECT sta_pfs_num AS PFS_PFS_NUM, getvariable('annee') AS ANNEE,
       1 + floor(unif(ps_idx + getvariable('annee'), 'msun') * 3)::INTEGER AS NB_STAGIAIRES
FROM ps
WHERE categorie = 1 AND year(ins_dsd) <= getvariable('annee')
  AND unif(ps_idx, 'msu') < CASE WHEN est_generaliste THEN 0.12 ELSE 0.03 END
UNION ALL BY NAME
SELECT * FROM bornes_msu_declarations WHERE ANNEE = getvariable('annee')

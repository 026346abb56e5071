-- one row per OPTAM / OPTAM-CO adhesion of a secteur 2 doctor started by 31/12 of annee
WITH a AS (
    SELECT sta_pfs_num, specialite,
           make_date(2017, 1, 1) + floor(unif(ps_idx, 'optd') * 2900)::INTEGER AS debut,
           unif(ps_idx, 'optf') AS u_fin
    FROM ps WHERE categorie = 1 AND cnv = 3 AND unif(ps_idx, 'opt') < 0.45
)
SELECT sta_pfs_num AS PFS_PFS_NUM,
       CASE WHEN specialite IN (4, 7, 10, 16, 41, 43, 44, 45, 46, 47, 48, 49, 69, 77, 79) THEN 'OPTAM_CO'
            ELSE 'OPTAM' END AS OPTAM_TYP,
       debut AS ADH_DEB_DTE,
       CASE WHEN u_fin < 0.1 AND debut + 1000 <= fin_annee(getvariable('annee')) THEN debut + 1000 END AS ADH_FIN_DTE
FROM a WHERE debut <= fin_annee(getvariable('annee'))
UNION ALL BY NAME
SELECT * FROM bornes_optam

-- one row per cabinet at 31/12 of annee (main cabinet, plus a secondary one for some practitioners)
SELECT CASE WHEN k = 0 THEN sta_pfs_num
            ELSE dpt2 || categorie::VARCHAR || lpad((serie + 60000)::VARCHAR, 5, '0') END AS PFS_PFS_NUM,
       sta_pfs_num AS STA_PFS_NUM,
       categorie AS PFS_CAT_COD,
       lpad(specialite::VARCHAR, 2, '0') AS PFS_PRA_SPE,
       cnv AS CNV_CNV_COD,
       exc AS EXC_EXC_NAT,
       com3 AS PFS_EXC_COM,
       ins_dsd AS PFS_INS_DSD,
       ipp_ann_nai AS IPP_ANN_NAI
FROM ps, range(CASE WHEN a_cabinet_secondaire THEN 2 ELSE 1 END) t(k)
WHERE year(ins_dsd) <= getvariable('annee')
UNION ALL BY NAME
SELECT * FROM bornes_da_pra_r
ORDER BY PFS_PFS_NUM

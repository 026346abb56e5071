-- grain: one row per cabinet (PFS_PFS_NUM) of the DA_PRA_R snapshot at 31/12/N, with its doctor (STA_PFS_NUM) [key: cabinet]
SELECT
    PFS_PFS_NUM AS cabinet,
    STA_PFS_NUM AS ps,
    PFS_CAT_COD AS pfs_cat_cod,
    PFS_PRA_SPE AS specialite,
    CNV_CNV_COD AS cnv_cnv_cod,
    EXC_EXC_NAT AS exc_exc_nat,
    PFS_EXC_COM AS pfs_exc_com,
    PFS_INS_DSD AS date_installation,
    IPP_ANN_NAI AS annee_naissance
FROM read_parquet(getvariable('t_DA_PRA_R'))

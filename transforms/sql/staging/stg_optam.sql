-- grain: one row per OPTAM / OPTAM-CO adhesion of a cabinet (whole history) [key: none]
SELECT
    PFS_PFS_NUM AS cabinet,
    OPTAM_TYP AS type_adhesion,
    ADH_DEB_DTE AS debut,
    ADH_FIN_DTE AS fin
FROM read_parquet(getvariable('t_OPTAM'))

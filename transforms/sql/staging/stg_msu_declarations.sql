-- grain: one row per yearly maître de stage declaration of a cabinet [key: cabinet, annee]
SELECT
    PFS_PFS_NUM AS cabinet,
    ANNEE AS annee,
    NB_STAGIAIRES AS nb_stagiaires
FROM read_parquet(getvariable('t_MSU_DECLARATIONS'))

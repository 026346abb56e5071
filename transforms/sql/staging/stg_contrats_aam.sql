-- grain: one row per assistant contract of CONTRATS_AAM (rules.md §6.2) [key: reference_contrat]
SELECT
    CTR_NUM AS reference_contrat,
    PFS_PFS_NUM AS cabinet,
    CTR_SIG_DTE AS date_signature,
    CTR_OPT AS option,
    CTR_FIN_DTE AS date_fin,
    PAT_IND AS indicateur,
    PAT_INI AS valeur_initiale,
    PAT_OBJ AS objectif
FROM read_parquet(getvariable('t_CONTRATS_AAM'))

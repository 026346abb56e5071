-- grain: one row per individual registration of a cabinet on the national SAS platform [key: none]
SELECT
    PFS_PFS_NUM AS cabinet,
    INS_DEB_DTE AS debut,
    INS_FIN_DTE AS fin,
    AGENDA_VISIBLE AS agenda_visible,
    ORGA_TERRITORIALE AS orga_territoriale
FROM read_parquet(getvariable('t_SAS_INSCRIPTIONS'))

-- grain: one row per commune and period of zoning [key: none]
SELECT
    COM_INSEE AS commune,
    ZONE AS zone,
    ZON_DEB_DTE AS debut,
    ZON_FIN_DTE AS fin
FROM read_parquet(getvariable('t_ZONAGE'))

-- grain: one row per CPTS contract [key: cpts_id]
SELECT
    CPTS_ID AS cpts_id,
    SIG_DTE AS date_signature,
    POPULATION AS population,
    FIN_DTE AS date_fin
FROM read_parquet(getvariable('t_CPTS_CONTRATS'))

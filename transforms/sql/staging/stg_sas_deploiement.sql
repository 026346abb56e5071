-- grain: one row per département where the SAS is deployed [key: departement]
SELECT
    DPT_COD AS departement,
    SAS_OPE_DTE AS date_operationnel
FROM read_parquet(getvariable('t_SAS_DEPLOIEMENT'))

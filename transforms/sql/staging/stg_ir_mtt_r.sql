-- grain: one row per médecin-traitant declaration of IR_MTT_R (whole history) [key: none]
SELECT
    BEN_NIR_PSA AS nir,
    BEN_RNG_GEM AS rang_naissance,
    hash(BEN_NIR_PSA, BEN_RNG_GEM) AS patient,
    MTT_PFS_NUM AS cabinet,
    MTT_DEP_DTE AS debut,
    MTT_FIN_DTE AS fin
FROM read_parquet(getvariable('t_IR_MTT_R'))

-- grain: one row per patient of IR_BEN_R (BEN_NIR_PSA, BEN_RNG_GEM) [key: nir, rang_naissance]
SELECT
    BEN_NIR_PSA AS nir,
    BEN_RNG_GEM AS rang_naissance,
    hash(BEN_NIR_PSA, BEN_RNG_GEM) AS patient,
    BEN_NAI_ANN AS annee_naissance,
    BEN_SEX_COD AS sexe,
    BEN_DCD_DTE AS date_deces
FROM read_parquet(getvariable('t_IR_BEN_R'))

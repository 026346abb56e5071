-- grain: one row per complementary-cover right period of IR_ORC_R (C2S = ex CMU-C; whole history) [key: none]
SELECT
    BEN_NIR_PSA AS nir,
    BEN_RNG_GEM AS rang_naissance,
    hash(BEN_NIR_PSA, BEN_RNG_GEM) AS patient,
    BEN_CTA_TYP AS type_contrat,
    ORC_DEB_DTE AS debut,
    ORC_FIN_DTE AS fin
FROM read_parquet(getvariable('t_IR_ORC_R'))

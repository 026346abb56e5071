-- grain: one row per ALD exoneration period of IR_IMB_R (whole history) [key: none]
SELECT
    BEN_NIR_PSA AS nir,
    BEN_RNG_GEM AS rang_naissance,
    hash(BEN_NIR_PSA, BEN_RNG_GEM) AS patient,
    IMB_ALD_NUM AS numero_ald,
    IMB_ALD_DTD AS debut,
    IMB_ALD_DTF AS fin
FROM read_parquet(getvariable('t_IR_IMB_R'))

-- grain: one row per orientation of a patient towards an IPA by a cabinet [key: none]
SELECT
    PFS_PFS_NUM AS cabinet,
    BEN_NIR_PSA AS nir,
    BEN_RNG_GEM AS rang_naissance,
    IPA_PFS_NUM AS cabinet_ipa,
    ORI_DTE AS date_orientation
FROM read_parquet(getvariable('t_ORIENTATIONS_IPA'))

-- grain: one row per cabinet's declaration of the 2020 Covid activity-loss aid (DIPA_DECLARATIONS) [key: cabinet]
SELECT
    PFS_PFS_NUM AS cabinet,
    ACOMPTE_VERSE AS acompte_verse,
    AIDE_ACTIVITE_PARTIELLE AS aide_activite_partielle,
    AIDE_FONDS_SOLIDARITE AS aide_fonds_solidarite,
    IJ_PERCUES AS ij_percues,
    PART_SUBSTANTIELLE AS part_substantielle
FROM read_parquet(getvariable('t_DIPA_DECLARATIONS'))

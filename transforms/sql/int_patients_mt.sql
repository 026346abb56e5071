-- grain: one row per (doctor STA_PFS_NUM, patient) of the patientèle MT at 31/12/N (rules.md §0); stays in DuckDB
-- A patient counts once per doctor, whichever of his cabinets the declaration names; dead patients are excluded.
-- patient: the 64-bit key of (BEN_NIR_PSA, BEN_RNG_GEM), valid inside one run only (README, "Patient key").
SELECT DISTINCT c.ps, hash(m.BEN_NIR_PSA, m.BEN_RNG_GEM) AS patient, b.BEN_NAI_ANN AS annee_naissance
FROM read_parquet(getvariable('t_IR_MTT_R')) m
JOIN stg_cabinets c ON c.cabinet = m.MTT_PFS_NUM
LEFT JOIN read_parquet(getvariable('t_IR_BEN_R')) b
    ON b.BEN_NIR_PSA = m.BEN_NIR_PSA AND b.BEN_RNG_GEM = m.BEN_RNG_GEM
WHERE m.MTT_DEP_DTE <= getvariable('fin')
    AND (m.MTT_FIN_DTE IS NULL OR m.MTT_FIN_DTE >= getvariable('fin'))
    AND (b.BEN_DCD_DTE IS NULL OR b.BEN_DCD_DTE > getvariable('fin'))

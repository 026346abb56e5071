-- grain: one row per (doctor STA_PFS_NUM, patient) of the patientèle MT at 31/12/N (rules.md §0); stays in DuckDB [key: ps, patient]
-- A patient counts once per doctor, whichever of his cabinets the declaration names; dead patients are excluded.
-- IR_BEN_R is joined on the patient key (a fixed width: its hash table no longer holds 65 M texts, docs/decisions.md).
SELECT DISTINCT c.ps, m.patient, b.annee_naissance
FROM stg_ir_mtt_r m
JOIN stg_da_pra_r c ON c.cabinet = m.cabinet
LEFT JOIN stg_ir_ben_r b ON b.patient = m.patient
WHERE m.debut <= getvariable('fin')
    AND (m.fin IS NULL OR m.fin >= getvariable('fin'))
    AND (b.date_deces IS NULL OR b.date_deces > getvariable('fin'))

-- grain: one row per doctor (STA_PFS_NUM) who oriented patients to an IPA in N while their médecin traitant (§3) [key: ps]
WITH orientations AS (
    SELECT c.ps, o.nir, o.rang_naissance AS rang, o.date_orientation AS jour
    FROM stg_orientations_ipa o
    JOIN stg_da_pra_r c ON c.cabinet = o.cabinet
    WHERE o.date_orientation BETWEEN getvariable('debut') AND getvariable('fin')
),
mt AS (
    SELECT c.ps, m.nir, m.rang_naissance AS rang, m.debut, m.fin
    FROM stg_ir_mtt_r m
    JOIN stg_da_pra_r c ON c.cabinet = m.cabinet
)
SELECT o.ps, count(DISTINCT (o.nir, o.rang)) AS nb_patients_orientes_ipa
FROM orientations o
JOIN mt ON mt.ps = o.ps AND mt.nir = o.nir AND mt.rang = o.rang
    AND mt.debut <= o.jour AND (mt.fin IS NULL OR mt.fin >= o.jour)
GROUP BY o.ps

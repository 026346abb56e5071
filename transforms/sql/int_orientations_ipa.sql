-- grain: one row per doctor (STA_PFS_NUM) who oriented patients to an IPA in N while their médecin traitant (§3)
WITH orientations AS (
    SELECT c.ps, o.BEN_NIR_PSA AS nir, o.BEN_RNG_GEM AS rang, o.ORI_DTE AS jour
    FROM read_parquet(getvariable('t_ORIENTATIONS_IPA')) o
    JOIN stg_cabinets c ON c.cabinet = o.PFS_PFS_NUM
    WHERE o.ORI_DTE BETWEEN getvariable('debut') AND getvariable('fin')
),
mt AS (
    SELECT c.ps, m.BEN_NIR_PSA AS nir, m.BEN_RNG_GEM AS rang, m.MTT_DEP_DTE AS debut, m.MTT_FIN_DTE AS fin
    FROM read_parquet(getvariable('t_IR_MTT_R')) m
    JOIN stg_cabinets c ON c.cabinet = m.MTT_PFS_NUM
)
SELECT o.ps, count(DISTINCT (o.nir, o.rang)) AS nb_patients_orientes_ipa
FROM orientations o
JOIN mt ON mt.ps = o.ps AND mt.nir = o.nir AND mt.rang = o.rang
    AND mt.debut <= o.jour AND (mt.fin IS NULL OR mt.fin >= o.jour)
GROUP BY o.ps

-- one row per declaration of the 2020 Covid activity-loss aid (extract of 2020 only): 35 % of practitioners
SELECT sta_pfs_num AS PFS_PFS_NUM,
       (floor(unif(ps_idx, 'dipaa') * 800000) / 100.0)::DECIMAL(12, 2) AS ACOMPTE_VERSE,
       (CASE WHEN unif(ps_idx, 'dipap') < 0.2 THEN floor(unif(ps_idx, 'dipapm') * 300000) ELSE 0 END / 100.0)::DECIMAL(12, 2)
           AS AIDE_ACTIVITE_PARTIELLE,
       (CASE WHEN unif(ps_idx, 'dipas') < 0.3 THEN floor(unif(ps_idx, 'dipasm') * 150000) ELSE 0 END / 100.0)::DECIMAL(12, 2)
           AS AIDE_FONDS_SOLIDARITE,
       (CASE WHEN unif(ps_idx, 'dipai') < 0.05 THEN floor(unif(ps_idx, 'dipaim') * 200000) ELSE 0 END / 100.0)::DECIMAL(12, 2)
           AS IJ_PERCUES,
       unif(ps_idx, 'dipab') < 0.97 AS PART_SUBSTANTIELLE
FROM ps
WHERE getvariable('annee') = 2020 AND year(ins_dsd) <= 2020 AND cnv IN (1, 2, 3) AND unif(ps_idx, 'dipa') < 0.35

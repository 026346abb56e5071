-- one row per claim line executed in annee: acts, majorations, forfaits, "pour information" lines, and one
-- cancellation (negative quantity and amounts) per 200 lines, mirroring an earlier line of the same doctor;
-- fewer lines during the 2020 lockdown
WITH praticiens AS (
    SELECT ps.ps_idx, ps.categorie, ps.specialite, ps.cnv, ps.sta_pfs_num, ps.dpt2, ps.serie,
           ps.a_cabinet_secondaire, ps.est_generaliste,
           coalesce(n_mt(m.mt_base, m.r_mt, getvariable('annee'), m.annee_ins), 0) AS n_mt_annee,
           coalesce(m.off_mt, 0) AS off_mt,
           unif(ps.ps_idx, 'ccam') AS pref_ccam,
           CASE WHEN ps.est_generaliste
                THEN 5 * n_mt(m.mt_base, m.r_mt, getvariable('annee'), m.annee_ins) + 300
                ELSE ps.lignes_spe END AS nb_lignes
    FROM ps LEFT JOIN ps_mt m USING (ps_idx)
    WHERE year(ps.ins_dsd) <= getvariable('annee')
), lignes AS (
    SELECT pr.*, k,
           CASE WHEN k < nb_lignes THEN k ELSE (k - nb_lignes) * 200 END AS ks,
           CASE WHEN k < nb_lignes THEN 1 ELSE -1 END AS signe
    FROM praticiens pr, range(pr.nb_lignes + pr.nb_lignes // 200) t(k)
), tirages AS (
    SELECT l.*,
           (hash(ps_idx, ks, getvariable('annee'), getvariable('seed')) >> 11)::DOUBLE / 9007199254740992.0 AS u1,
           (hash(ks, ps_idx, getvariable('annee'), getvariable('seed')) >> 11)::DOUBLE / 9007199254740992.0 AS u2,
           (hash(ps_idx, getvariable('seed'), ks, getvariable('annee')) >> 11)::DOUBLE / 9007199254740992.0 AS u3
    FROM lignes l
), typees AS (
    SELECT t.*,
           CASE WHEN est_generaliste AND u1 < 0.85
                THEN off_mt + floor(u2 * greatest(1, floor(0.92 * n_mt_annee)))::BIGINT
                WHEN est_generaliste THEN floor(u2 * getvariable('n_pool'))::BIGINT
                ELSE (ps_idx * 7919 + floor(u2 * greatest(1, nb_lignes * 0.4))::BIGINT * 104729)
                     % getvariable('n_pool') END AS p,
           CASE WHEN u3 < 0.01 THEN 'INFO' WHEN u3 < 0.08 THEN 'MAJ' WHEN u3 < 0.085 THEN 'FORFAIT'
                ELSE 'ACTE' END AS genre,
           -- CCAM share: low for GPs, doctor-specific for the others (surgeons span both sides of 20 %)
           (u1 * 7.0) % 1.0 < CASE WHEN est_generaliste THEN 0.04 ELSE 0.05 + 0.5 * pref_ccam END AS est_ccam,
           floor(((u2 * 13.0) % 1.0) * 365)::INTEGER AS jour_annee,
           (u3 * 11.0) % 1.0 AS u4
    FROM tirages t
), valorisees AS (
    SELECT ty.*, nir(p) AS nir, rng_de(p) AS rng, ame_de(p) AS est_ame,
           CASE WHEN categorie = 6 THEN 3111 WHEN categorie = 4 THEN 1431
                WHEN genre = 'MAJ' THEN 1125 WHEN genre = 'FORFAIT' THEN 1130
                WHEN est_ccam THEN CASE WHEN specialite IN (4, 10, 16, 41, 43, 44, 45, 46, 47, 48, 49, 69) THEN 1321
                                        ELSE 1352 END
                WHEN est_generaliste THEN CASE WHEN u4 < 0.05 THEN 1157 ELSE 1110 END
                ELSE 1112 END AS nature,
           CASE WHEN genre IN ('MAJ', 'FORFAIT') THEN 500
                WHEN est_ccam THEN 2000 + floor(u4 * 25000)::INTEGER
                WHEN categorie <> 1 THEN 1500 + floor(u4 * 3000)::INTEGER
                WHEN est_generaliste THEN CASE WHEN getvariable('annee') >= 2025 THEN 3000 ELSE 2650 END
                ELSE 5000 END AS base_cts
    FROM typees ty
)
SELECT nir AS BEN_NIR_PSA,
       rng AS BEN_RNG_GEM,
       (make_date(getvariable('annee')::BIGINT, 1, 1) + jour_annee) AS EXE_SOI_DTD,
       (make_date(getvariable('annee')::BIGINT, 1, 1) + jour_annee + 5 + floor(u4 * 40)::INTEGER) AS FLX_DIS_DTD,
       CASE WHEN a_cabinet_secondaire AND u4 < 0.3
            THEN dpt2 || categorie::VARCHAR || lpad((serie + 60000)::VARCHAR, 5, '0') ELSE sta_pfs_num END
           AS PFS_EXE_NUM,
       NULL::VARCHAR AS PFS_PRE_NUM,
       CASE WHEN categorie = 1 THEN specialite ELSE 0 END AS PSE_SPE_COD,
       nature AS PRS_NAT_REF,
       CASE WHEN genre = 'MAJ' THEN 2 ELSE 0 END AS CPL_MAJ_TOP,
       CASE WHEN genre = 'INFO' THEN 71 ELSE 0 END AS DPN_QLF,
       signe AS PRS_ACT_QTE,
       (signe * (base_cts + CASE WHEN cnv = 3 AND u4 < 0.8 THEN base_cts * 3 // 10 ELSE 0 END) / 100.0)::DECIMAL(12, 2)
           AS PRS_PAI_MNT,
       (signe * (CASE WHEN cnv = 3 AND u4 < 0.8 THEN base_cts * 3 // 10 ELSE 0 END) / 100.0)::DECIMAL(12, 2)
           AS PRS_DEP_MNT,
       CASE WHEN est_ame THEN CASE WHEN u4 < 0.9 THEN 95 ELSE 96 END
            ELSE CASE WHEN u4 < 0.7 THEN 110 WHEN u4 < 0.9 THEN 120 ELSE 100 END END AS RGM_COD
FROM valorisees
-- the 2020 lockdown (16 March–30 May, days 75–150 of the year): a share of the lines is not executed, by profession
-- (generator calibration, not a legal figure: dentists closed, GPs less hit than specialists, nurses least)
WHERE NOT (getvariable('annee') = 2020 AND jour_annee BETWEEN 75 AND 150
           AND (u3 * 17.0) % 1.0 < CASE WHEN categorie = 4 THEN 0.8 WHEN categorie = 6 THEN 0.15
                                        WHEN est_generaliste THEN 0.3 ELSE 0.5 END)
UNION ALL BY NAME
SELECT * FROM bornes_er_prs_f

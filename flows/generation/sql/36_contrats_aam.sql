-- one row per assistant contract signed by 31/12 of annee (about 6 % of eligible doctors, from mid-2019)
WITH c AS (
    SELECT ps.ps_idx, ps.sta_pfs_num, ps.est_generaliste, ps.lignes_spe, m.mt_base, m.r_mt, m.annee_ins,
           make_date(2019, 7, 1) + floor(unif(ps.ps_idx, 'aams') * 2700)::INTEGER AS sig,
           unif(ps.ps_idx, 'aamo') AS u_opt, unif(ps.ps_idx, 'aamf') AS u_fin, unif(ps.ps_idx, 'aamp') AS u_obj
    FROM ps LEFT JOIN ps_mt m USING (ps_idx)
    WHERE ps.categorie = 1 AND ps.cnv IN (1, 2, 3) AND ps.specialite NOT IN (2, 6, 18, 37, 72, 74, 76)
      AND unif(ps.ps_idx, 'aam') < 0.07
), v AS (
    SELECT c.*,
           CASE WHEN est_generaliste THEN n_mt(mt_base, r_mt, year(sig), annee_ins)
                ELSE floor(lignes_spe * 0.37)::BIGINT END AS ini,
           CASE WHEN sig < DATE '2023-05-01' AND u_opt < 0.2 THEN 'TIERS_TEMPS'
                WHEN u_opt < 0.6 THEN 'MI_TEMPS' ELSE 'TEMPS_PLEIN' END AS opt
    FROM c
)
SELECT 'AAM' || lpad(ps_idx::VARCHAR, 9, '0') AS CTR_NUM,
       sta_pfs_num AS PFS_PFS_NUM,
       sig AS CTR_SIG_DTE,
       opt AS CTR_OPT,
       CASE WHEN u_fin < 0.06 AND sig + 800 <= fin_annee(getvariable('annee')) THEN sig + 800 END AS CTR_FIN_DTE,
       CASE WHEN est_generaliste THEN 'PATIENTELE_MT' ELSE 'FILE_ACTIVE' END AS PAT_IND,
       ini AS PAT_INI,
       -- 10 % of contracts only maintain their level; the others aim near the level the doctor's own trend
       -- reaches two years later (GPs), or a few % more (file active), so that achievement rates spread
       CASE WHEN u_obj < 0.1 THEN ini
            WHEN est_generaliste THEN greatest(ini + 1,
                round(n_mt(mt_base, r_mt, year(sig) + 2, annee_ins) * (0.95 + 0.2 * unif(ps_idx, 'aamq'))))::BIGINT
            ELSE ini + greatest(1, round(ini * 0.06 * unif(ps_idx, 'aamq')))::BIGINT END
           AS PAT_OBJ
FROM v WHERE sig <= fin_annee(getvariable('annee'))
UNION ALL BY NAME
SELECT * FROM bornes_contrats_aam WHERE CTR_SIG_DTE <= fin_annee(getvariable('annee'))

-- one row per médecin-traitant declaration known at 31/12 of annee (later end dates are not known yet)
WITH pos AS (
    SELECT m.ps_idx, m.off_mt + j AS p, j,
           list_filter(range(2017, 2027), lambda y: j < n_mt(m.mt_base, m.r_mt, y, m.annee_ins)) AS annees
    FROM ps_mt m, range(m.cap_mt) t(j)
), decl AS (
    SELECT pos.*, list_min(annees) AS a1, list_max(annees) AS a2
    FROM pos WHERE len(annees) > 0
), dates AS (
    SELECT d.*, ps.sta_pfs_num, ps.dpt2, ps.categorie, ps.serie, ps.a_cabinet_secondaire,
           CASE WHEN d.a1 = 2017 AND n_mt(ps_mt.mt_base, ps_mt.r_mt, 2016, ps_mt.annee_ins) > d.j
                THEN make_date(2005, 1, 1) + floor(unif(d.p, 'mtd') * 4380)::INTEGER
                ELSE jour(d.a1, unif(d.p, 'mtd')) END AS dep,
           CASE WHEN d.a2 < 2026 THEN jour(d.a2 + 1, unif(d.p, 'mtf')) END AS fin
    FROM decl d JOIN ps USING (ps_idx) JOIN ps_mt USING (ps_idx)
)
SELECT pt.nir AS BEN_NIR_PSA, pt.rng AS BEN_RNG_GEM,
       CASE WHEN a_cabinet_secondaire AND unif(p, 'mtsec') < 0.10
            THEN dpt2 || categorie::VARCHAR || lpad((serie + 60000)::VARCHAR, 5, '0') ELSE sta_pfs_num END
           AS MTT_PFS_NUM,
       dep AS MTT_DEP_DTE,
       CASE WHEN fin <= fin_annee(getvariable('annee')) THEN fin ELSE DATE '1600-01-01' END AS MTT_FIN_DTE
FROM dates JOIN patients pt USING (p)
WHERE dep <= fin_annee(getvariable('annee'))
UNION ALL BY NAME
SELECT * FROM bornes_ir_mtt_r

-- one row per practitioner (doctor or other liberal health professional), stable across years
-- inputs: poids_specialites(categorie, specialite, cum_lo, cum_hi), departements(rn, dpt2, dpt3, decalage),
-- communes(dpt3, rn, com3), nb_communes(dpt3, n), ancres_mt(u_lo, u_hi, v_lo, v_hi); variable n_ps
CREATE OR REPLACE TABLE ps AS
WITH b AS (
    SELECT i AS ps_idx, unif(i, 'spe') AS u_spe, unif(i, 'cnv') AS u_cnv, unif(i, 'exc') AS u_exc,
           unif(i, 'ins') AS u_ins, unif(i, 'nai') AS u_nai, unif(i, 'mt') AS u_mt, unif(i, 'r') AS u_r,
           unif(i, 'act') AS u_act, unif(i, 'sec') AS u_sec, unif(i, 'com') AS u_com
    FROM range(getvariable('n_ps')) t(i)
), s AS (
    SELECT b.*, p.categorie, p.specialite
    FROM b JOIN poids_specialites p ON b.u_spe >= p.cum_lo AND b.u_spe < p.cum_hi
), d AS (
    SELECT s.*, dep.dpt2, dep.dpt3, (s.ps_idx // (SELECT count(*) FROM departements)) + dep.decalage AS serie
    FROM s JOIN departements dep ON dep.rn = s.ps_idx % (SELECT count(*) FROM departements)
)
SELECT
    d.ps_idx, d.categorie, d.specialite, d.dpt2, d.dpt3, d.serie,
    d.dpt2 || d.categorie::VARCHAR || lpad(d.serie::VARCHAR, 5, '0') AS sta_pfs_num,
    c.com3,
    d.dpt2 || c.com3 AS com_insee,
    d.specialite IN (1, 22, 23) AND d.categorie = 1 AS est_generaliste,
    CASE WHEN d.categorie <> 1 THEN 1
         WHEN d.specialite IN (1, 22, 23) THEN CASE WHEN d.u_cnv < 0.005 THEN 0 WHEN d.u_cnv < 0.945 THEN 1
                                                    WHEN d.u_cnv < 0.955 THEN 2 ELSE 3 END
         ELSE CASE WHEN d.u_cnv < 0.005 THEN 0 WHEN d.u_cnv < 0.56 THEN 1 WHEN d.u_cnv < 0.58 THEN 2 ELSE 3 END
    END AS cnv,
    CASE WHEN d.u_exc < 0.85 THEN 1 WHEN d.u_exc < 0.93 THEN 2 WHEN d.u_exc < 0.98 THEN 3
         WHEN d.u_exc < 0.99 THEN 4 ELSE 8 END AS exc,
    -- 6 % installed during the horizon (2018 onwards), the others between 1985 and 2017
    CASE WHEN d.u_ins < 0.06 THEN make_date(2018, 1, 1) + floor(d.u_ins / 0.06 * 3285)::INTEGER
         ELSE make_date(1985, 1, 1) + floor((d.u_ins - 0.06) / 0.94 * 11680)::INTEGER END AS ins_dsd,
    1950 + floor(d.u_nai * 46)::INTEGER AS ipp_ann_nai,
    -- patientèle MT on the reference distribution (GPs), by the piecewise-linear quantile function
    CASE WHEN d.specialite IN (1, 22, 23) AND d.categorie = 1
         THEN (SELECT a.v_lo + (a.v_hi - a.v_lo) * (d.u_mt - a.u_lo) / (a.u_hi - a.u_lo)
               FROM ancres_mt a WHERE d.u_mt >= a.u_lo AND d.u_mt < a.u_hi)
         ELSE 0 END AS mt_base,
    -0.02 + d.u_r * 0.06 AS r_mt,
    -- yearly claim lines of a non-GP: lognormal-like spread around 2 700 lines (1 000 for other professions)
    CASE WHEN d.categorie <> 1 THEN 300 + floor(d.u_act * 1400)::INTEGER
         ELSE 400 + floor(4600 * d.u_act * d.u_act + 1400 * d.u_act)::INTEGER END AS lignes_spe,
    d.u_sec < 0.08 AS a_cabinet_secondaire
FROM d
JOIN nb_communes n ON n.dpt3 = d.dpt3
JOIN communes c ON c.dpt3 = d.dpt3 AND c.rn = floor(d.u_com * n.n)::INTEGER
ORDER BY d.ps_idx;

-- patient ranges of GPs: the MT patients of GP g are the pool indexes [off_mt, off_mt + cap_mt)
CREATE OR REPLACE TABLE ps_mt AS
SELECT ps_idx, mt_base, r_mt, year(ins_dsd) AS annee_ins,
       (ceil(mt_base * (1 + abs(r_mt) * 6)) + 2)::BIGINT AS cap_mt,
       coalesce(sum((ceil(mt_base * (1 + abs(r_mt) * 6)) + 2)::BIGINT)
                OVER (ORDER BY ps_idx ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS off_mt
FROM ps WHERE est_generaliste;

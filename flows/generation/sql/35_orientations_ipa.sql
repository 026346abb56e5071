-- one row per orientation towards an IPA during annee (from 2023): 6 % of GPs orient some of their MT patients
WITH o AS (
    SELECT m.ps_idx, ps.sta_pfs_num, ps.dpt2, m.off_mt,
           n_mt(m.mt_base, m.r_mt, getvariable('annee'), m.annee_ins) AS n,
           floor(150 * pow(unif(m.ps_idx + getvariable('annee'), 'ipan'), 2))::INTEGER AS nb
    FROM ps_mt m JOIN ps USING (ps_idx)
    WHERE getvariable('annee') >= 2023 AND unif(m.ps_idx, 'ipa') < 0.06
      AND year(ps.ins_dsd) <= getvariable('annee')
), l AS (
    SELECT o.*, k, o.off_mt + floor(unif(o.ps_idx * 1000 + k, 'ipap') * greatest(1, o.n))::BIGINT AS p
    FROM o, range(o.nb) t(k)
)
SELECT sta_pfs_num AS PFS_PFS_NUM, nir(p) AS BEN_NIR_PSA, rng_de(p) AS BEN_RNG_GEM,
       dpt2 || '6' || lpad((floor(unif(ps_idx, 'ipan2') * 9999))::VARCHAR, 5, '0') AS IPA_PFS_NUM,
       jour(getvariable('annee'), unif(ps_idx * 1000 + k, 'ipad')) AS ORI_DTE
FROM l
UNION ALL BY NAME
SELECT * FROM bornes_orientations_ipa WHERE year(ORI_DTE) = getvariable('annee')

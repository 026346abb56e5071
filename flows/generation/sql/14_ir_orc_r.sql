-- one row per C2S right period (12 months, renewed for most) started by 31/12 of annee
WITH a AS (
    SELECT p, nir, rng, make_date(2016, 1, 1) + floor(unif(p, 'c2sd') * 3650)::INTEGER AS debut,
           1 + floor(unif(p, 'c2sn') * 4)::INTEGER AS nb
    FROM patients WHERE est_c2s
), periodes AS (
    SELECT a.*, (debut + (365 * k)::INTEGER) AS deb_k FROM a, range(a.nb) t(k)
)
SELECT nir AS BEN_NIR_PSA, rng AS BEN_RNG_GEM, 89 AS BEN_CTA_TYP, deb_k AS ORC_DEB_DTE,
       (deb_k + 364)::DATE AS ORC_FIN_DTE
FROM periodes WHERE deb_k <= fin_annee(getvariable('annee'))

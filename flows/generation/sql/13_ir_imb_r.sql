-- one row per ALD period started by 31/12 of annee
WITH a AS (
    SELECT p, nir, rng, make_date(2005, 1, 1) + floor(unif(p, 'aldd') * 8030)::INTEGER AS debut,
           unif(p, 'aldf') AS u_fin
    FROM patients WHERE est_ald
)
SELECT nir AS BEN_NIR_PSA, rng AS BEN_RNG_GEM, 1 + floor(unif(p, 'aldn') * 30)::INTEGER AS IMB_ALD_NUM,
       debut AS IMB_ALD_DTD,
       CASE WHEN u_fin < 0.15 AND debut + 730 <= fin_annee(getvariable('annee')) THEN debut + 730
            ELSE DATE '1600-01-01' END AS IMB_ALD_DTF
FROM a WHERE debut <= fin_annee(getvariable('annee'))

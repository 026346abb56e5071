-- one row per patient of the pool (variables: n_pool, n_pool_mt = patients inside GP ranges)
CREATE OR REPLACE TABLE patients AS
WITH b AS (
    SELECT p, unif(p, 'age') AS u_age, unif(p, 'dcd') AS u_dcd
    FROM range(getvariable('n_pool')) t(p)
), a AS (
    SELECT b.*,
           -- age on the reference year: 10 % under 7, 50 % under 45, 10 % aged 77 or more
           floor(CASE WHEN u_age < 0.10 THEN u_age / 0.10 * 7
                      WHEN u_age < 0.20 THEN 7 + (u_age - 0.10) / 0.10 * 11
                      WHEN u_age < 0.50 THEN 18 + (u_age - 0.20) / 0.30 * 27
                      WHEN u_age < 0.80 THEN 45 + (u_age - 0.50) / 0.30 * 23
                      WHEN u_age < 0.90 THEN 68 + (u_age - 0.80) / 0.10 * 9
                      ELSE 77 + (u_age - 0.90) / 0.10 * 22 END)::INTEGER AS age_ref
    FROM b
)
SELECT p, nir(p) AS nir,
       rng_de(p) AS rng,
       getvariable('annee_distribution') - age_ref AS annee_naissance,
       CASE WHEN unif(p, 'sexe') < 0.52 THEN 2 ELSE 1 END AS sexe,
       CASE WHEN u_dcd < CASE WHEN age_ref >= 75 THEN 0.08 ELSE 0.008 END
            THEN jour(2017 + floor(unif(p, 'dcda') * 10), unif(p, 'dcdj')) END AS date_deces,
       unif(p, 'ald') < CASE WHEN age_ref >= 80 THEN 0.55 WHEN age_ref >= 60 THEN 0.35 ELSE 0.08 END AS est_ald,
       unif(p, 'c2s') < 0.10 AS est_c2s,
       ame_de(p) AS est_ame
FROM a;

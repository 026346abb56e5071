-- helpers: deterministic uniform draws, patient ids, patientèle MT by year (variables: seed, annee_distribution)
CREATE OR REPLACE MACRO unif(x, tag) AS ((hash(x, tag, getvariable('seed')) >> 11)::DOUBLE / 9007199254740992.0);
-- a bijection of [0, 2^31 − 2) (48271 is a primitive root of the prime 2^31 − 1): distinct patients, distinct ids
CREATE OR REPLACE MACRO nir(p) AS printf('%017X', ((p + 1) * 48271) % 2147483647);
CREATE OR REPLACE MACRO n_mt(base, r, y, y_ins) AS
    greatest(0, round(base * (1 + r * (y - getvariable('annee_distribution')))
                      * least(1.0, (y - y_ins + 1) / 3.0)))::BIGINT;
CREATE OR REPLACE MACRO jour(y, u) AS (make_date(y::BIGINT, 1, 1) + floor(u * 365)::INTEGER);
CREATE OR REPLACE MACRO fin_annee(y) AS make_date(y::BIGINT, 12, 31);
-- patient attributes that claim lines need, as pure functions of the pool index (no join at 450 M lines)
CREATE OR REPLACE MACRO rng_de(p) AS CASE WHEN unif(p, 'rng') < 0.03 THEN 2 ELSE 1 END;
-- AME beneficiaries cluster in some territories (blocks of 1 000 pool patients); variable n_pool_mt
CREATE OR REPLACE MACRO ame_de(p) AS
    unif(p, 'ame') < CASE WHEN p >= getvariable('n_pool_mt') THEN 0.03
                          WHEN unif(p // 1000, 'ameb') < 0.08 THEN 0.06 ELSE 0.002 END;

-- one row per CPTS contract signed by 31/12 of annee (variable n_cpts), plus the tier-boundary CPTS
WITH c AS (
    SELECT i, make_date(2019, 7, 1) + floor(unif(i, 'cptss') * 2300)::INTEGER AS sig,
           (10000 + floor(pow(unif(i, 'cptsp'), 2) * 290000))::BIGINT AS pop
    FROM range(getvariable('n_cpts')) t(i)
)
SELECT 'CPTS' || lpad(i::VARCHAR, 5, '0') AS CPTS_ID, sig AS SIG_DTE, pop AS POPULATION,
       CASE WHEN unif(i, 'cptsf') < 0.03 AND sig + 900 <= fin_annee(getvariable('annee')) THEN sig + 900 END AS FIN_DTE
FROM c WHERE sig <= fin_annee(getvariable('annee'))
UNION ALL BY NAME
SELECT * FROM bornes_cpts_contrats WHERE SIG_DTE <= fin_annee(getvariable('annee'))

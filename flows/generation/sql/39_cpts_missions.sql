-- one row per mission of a CPTS started by 31/12 of annee, with its achievement rate in annee
WITH m AS (
    SELECT c.CPTS_ID, c.SIG_DTE, mi.mission, mi.rn
    FROM (
        SELECT 'CPTS' || lpad(i::VARCHAR, 5, '0') AS CPTS_ID,
               make_date(2019, 7, 1) + floor(unif(i, 'cptss') * 2300)::INTEGER AS SIG_DTE
        FROM range(getvariable('n_cpts')) t(i)
        UNION ALL SELECT CPTS_ID, SIG_DTE FROM bornes_cpts_contrats
    ) c
    CROSS JOIN (SELECT unnest(['ACCES_SOINS', 'PARCOURS', 'PREVENTION', 'CRISE', 'QUALITE', 'ACCOMPAGNEMENT']) AS mission,
                       unnest([0, 1, 2, 3, 4, 5]) AS rn) mi
), d AS (
    SELECT m.*, SIG_DTE + 30 + floor(unif(hash(CPTS_ID, mission), 'cptsm') * 900)::INTEGER AS deb
    FROM m WHERE rn < 2 OR unif(hash(CPTS_ID, mission), 'cptsk') < 0.5
)
SELECT CPTS_ID, mission AS MISSION, deb AS DEB_DTE,
       round(unif(hash(CPTS_ID, mission, getvariable('annee')), 'cptst'), 2) AS TAUX_ATTEINTE
FROM d WHERE deb <= fin_annee(getvariable('annee'))

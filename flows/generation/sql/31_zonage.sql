-- one row per commune and zoning period known at 31/12 of annee (a 2024 revision changes 5 % of communes)
WITH c AS (
    SELECT com_insee, unif(hash(com_insee), 'zip') AS u, unif(hash(com_insee), 'rev') AS u_rev FROM communes_insee
), z AS (
    SELECT com_insee, CASE WHEN u < 0.15 THEN 'ZIP' WHEN u < 0.35 THEN 'ZAC' ELSE 'HORS' END AS z1,
           CASE WHEN u_rev < 0.05 THEN CASE WHEN u < 0.15 THEN 'ZAC' ELSE 'ZIP' END END AS z2
    FROM c
)
SELECT com_insee AS COM_INSEE, z1 AS ZONE, DATE '2017-01-01' AS ZON_DEB_DTE,
       CASE WHEN z2 IS NOT NULL AND getvariable('annee') >= 2024 THEN DATE '2023-12-31' END AS ZON_FIN_DTE
FROM z WHERE com_insee NOT IN (SELECT COM_INSEE FROM bornes_zonage)
UNION ALL
SELECT com_insee, z2, DATE '2024-01-01', NULL FROM z
WHERE z2 IS NOT NULL AND getvariable('annee') >= 2024 AND com_insee NOT IN (SELECT COM_INSEE FROM bornes_zonage)
UNION ALL BY NAME
SELECT * FROM bornes_zonage

-- grain: one row per (specialty, percentile) of year N over in-scope doctors with a value > 0 (rules.md §1) [key: specialite, percentile]
-- value: patientèle MT at 31/12/N for GPs, file active of N for every other specialty; nearest rank (quantile_disc)
WITH valeurs AS (
    SELECT specialite, CASE WHEN est_generaliste THEN patientele_mt ELSE file_active END AS valeur
    FROM activite_medecins
    WHERE est_dans_champ
),
distribution AS (
    SELECT
        specialite,
        count(*) AS nb_medecins,
        quantile_disc(valeur, getvariable('quantiles')) AS seuils
    FROM valeurs
    WHERE valeur > 0
    GROUP BY specialite
)
SELECT
    getvariable('annee') AS annee,
    specialite,
    nb_medecins,
    nb_medecins < getvariable('effectif_min') AS est_petite_specialite,
    unnest(getvariable('percentiles')) AS percentile,
    unnest(seuils) AS seuil
FROM distribution
ORDER BY specialite, percentile

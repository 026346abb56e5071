-- grain: one row per (specialty, value) of year N: how many in-scope doctors have that value > 0 (rules.md §1) [key: specialite, valeur]
-- value: patientèle MT at 31/12/N for GPs, file active of N for every other specialty (the distribution whose
-- percentiles the assistant aid reads); doctor counts only, shown in the run's report
SELECT specialite, valeur, count(*) AS nb_medecins
FROM (
    SELECT specialite, CASE WHEN est_generaliste THEN patientele_mt ELSE file_active END AS valeur
    FROM activite_medecins
    WHERE est_dans_champ
)
WHERE valeur > 0
GROUP BY specialite, valeur
ORDER BY specialite, valeur

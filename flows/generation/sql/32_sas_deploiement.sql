-- one row per département whose SAS became operational by 31/12 of annee (about 70 % of them by 2026)
SELECT dpt_sas AS DPT_COD, ope AS SAS_OPE_DTE FROM (
    SELECT CASE WHEN dpt3 LIKE '97%' THEN dpt3 ELSE dpt2 END AS dpt_sas,
           make_date(2020, 1, 1) + floor(unif(hash(dpt3), 'sas') * 2900)::INTEGER AS ope
    FROM departements
) WHERE ope <= fin_annee(getvariable('annee'))
  AND dpt_sas NOT IN (SELECT DPT_COD FROM bornes_sas_deploiement)
UNION ALL BY NAME
SELECT * FROM bornes_sas_deploiement WHERE SAS_OPE_DTE <= fin_annee(getvariable('annee')) + 366

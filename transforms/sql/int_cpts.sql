-- grain: one row per CPTS mission started by 31/12/N, or one row with no mission for a contract without any (rules.md §9)
-- Contracts signed by 31/12/N; the rule (transforms/rules/financement_cpts.py) prorates and caps.
SELECT
    c.CPTS_ID AS cpts_id,
    c.SIG_DTE AS date_signature,
    c.FIN_DTE AS date_fin,
    c.POPULATION AS population,
    m.MISSION AS mission,
    m.DEB_DTE AS date_debut_mission,
    m.TAUX_ATTEINTE AS taux_atteinte
FROM read_parquet(getvariable('t_CPTS_CONTRATS')) c
LEFT JOIN read_parquet(getvariable('t_CPTS_MISSIONS')) m
    ON m.CPTS_ID = c.CPTS_ID AND m.DEB_DTE <= getvariable('fin')
WHERE c.SIG_DTE <= getvariable('fin') AND getvariable('cpts')

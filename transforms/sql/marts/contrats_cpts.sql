-- grain: one row per CPTS mission started by 31/12/N, or one row with no mission for a contract without any (rules.md §9) [key: cpts_id, mission]
-- Contracts signed by 31/12/N; the rule (transforms/rules/financement_cpts.py) prorates and caps.
SELECT
    c.cpts_id,
    c.date_signature,
    c.date_fin,
    c.population,
    m.mission,
    m.date_debut_mission,
    m.taux_atteinte
FROM stg_cpts_contrats c
LEFT JOIN stg_cpts_missions m
    ON m.cpts_id = c.cpts_id AND m.date_debut_mission <= getvariable('fin')
WHERE c.date_signature <= getvariable('fin') AND getvariable('financement_cpts')

-- grain: one row per mission of a CPTS [key: cpts_id, mission]
SELECT
    CPTS_ID AS cpts_id,
    MISSION AS mission,
    DEB_DTE AS date_debut_mission,
    TAUX_ATTEINTE AS taux_atteinte
FROM read_parquet(getvariable('t_CPTS_MISSIONS'))

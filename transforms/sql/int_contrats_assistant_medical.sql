-- grain: one row per assistant contract (CONTRATS_AAM) signed by 31/12/N, with its doctor (rules.md §6.1–6.2)
-- At the signature date of the contracts signed during N (the control of §6.1): OPTAM adhesion of any of the
-- doctor's cabinets, and his patientèle MT (same definition as int_patientele_mt, at that date).
WITH contrats AS (
    SELECT k.*, c.ps
    FROM read_parquet(getvariable('t_CONTRATS_AAM')) k
    LEFT JOIN stg_cabinets c ON c.cabinet = k.PFS_PFS_NUM
    WHERE k.CTR_SIG_DTE <= getvariable('fin')
),
signes_en_n AS (
    SELECT CTR_NUM, ps, CTR_SIG_DTE AS d
    FROM contrats
    WHERE CTR_SIG_DTE >= getvariable('debut') AND ps IS NOT NULL
),
optam AS (
    SELECT DISTINCT s.CTR_NUM
    FROM signes_en_n s
    JOIN stg_cabinets c ON c.ps = s.ps
    JOIN read_parquet(getvariable('t_OPTAM')) o ON o.PFS_PFS_NUM = c.cabinet
    WHERE o.ADH_DEB_DTE <= s.d AND (o.ADH_FIN_DTE IS NULL OR o.ADH_FIN_DTE >= s.d)
),
patientele AS (
    SELECT s.CTR_NUM, count(DISTINCT (m.BEN_NIR_PSA, m.BEN_RNG_GEM)) AS n
    FROM signes_en_n s
    JOIN stg_cabinets c ON c.ps = s.ps
    JOIN read_parquet(getvariable('t_IR_MTT_R')) m ON m.MTT_PFS_NUM = c.cabinet
    LEFT JOIN read_parquet(getvariable('t_IR_BEN_R')) b
        ON b.BEN_NIR_PSA = m.BEN_NIR_PSA AND b.BEN_RNG_GEM = m.BEN_RNG_GEM
    WHERE m.MTT_DEP_DTE <= s.d
        AND (m.MTT_FIN_DTE IS NULL OR m.MTT_FIN_DTE >= s.d)
        AND (b.BEN_DCD_DTE IS NULL OR b.BEN_DCD_DTE > s.d)
    GROUP BY s.CTR_NUM
)
SELECT
    k.CTR_NUM AS reference_contrat,
    k.PFS_PFS_NUM AS cabinet,
    k.ps,
    k.CTR_SIG_DTE AS date_signature,
    k.CTR_OPT AS option,
    k.CTR_FIN_DTE AS date_fin,
    k.PAT_IND AS indicateur,
    k.PAT_INI AS valeur_initiale,
    k.PAT_OBJ AS objectif,
    k.CTR_SIG_DTE >= getvariable('debut') AS est_signe_en_n,
    CASE WHEN s.CTR_NUM IS NOT NULL THEN o.CTR_NUM IS NOT NULL END AS est_optam_signature,
    CASE WHEN s.CTR_NUM IS NOT NULL THEN coalesce(p.n, 0) END AS patientele_mt_signature
FROM contrats k
LEFT JOIN signes_en_n s ON s.CTR_NUM = k.CTR_NUM
LEFT JOIN optam o ON o.CTR_NUM = k.CTR_NUM
LEFT JOIN patientele p ON p.CTR_NUM = k.CTR_NUM
ORDER BY k.CTR_NUM

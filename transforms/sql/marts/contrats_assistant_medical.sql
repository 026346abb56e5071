-- grain: one row per assistant contract (CONTRATS_AAM) signed by 31/12/N, with its doctor (rules.md §6.1–6.2) [key: reference_contrat]
-- At the signature date of the contracts signed during N (the control of §6.1): OPTAM adhesion of any of the
-- doctor's cabinets, and his patientèle MT (same definition as int_patientele_mt, at that date).
WITH contrats AS (
    SELECT k.*, c.ps
    FROM stg_contrats_aam k
    LEFT JOIN stg_da_pra_r c ON c.cabinet = k.cabinet
    WHERE k.date_signature <= getvariable('fin')
),
signes_en_n AS (
    SELECT reference_contrat, ps, date_signature AS d
    FROM contrats
    WHERE date_signature >= getvariable('debut') AND ps IS NOT NULL
),
optam AS (
    SELECT DISTINCT s.reference_contrat
    FROM signes_en_n s
    JOIN stg_da_pra_r c ON c.ps = s.ps
    JOIN stg_optam o ON o.cabinet = c.cabinet
    WHERE o.debut <= s.d AND (o.fin IS NULL OR o.fin >= s.d)
),
patientele AS (
    SELECT s.reference_contrat, count(DISTINCT (m.nir, m.rang_naissance)) AS n
    FROM signes_en_n s
    JOIN stg_da_pra_r c ON c.ps = s.ps
    JOIN stg_ir_mtt_r m ON m.cabinet = c.cabinet
    LEFT JOIN stg_ir_ben_r b ON b.nir = m.nir AND b.rang_naissance = m.rang_naissance
    WHERE m.debut <= s.d
        AND (m.fin IS NULL OR m.fin >= s.d)
        AND (b.date_deces IS NULL OR b.date_deces > s.d)
    GROUP BY s.reference_contrat
)
SELECT
    k.reference_contrat,
    k.cabinet,
    k.ps,
    k.date_signature,
    k.option,
    k.date_fin,
    k.indicateur,
    k.valeur_initiale,
    k.objectif,
    k.date_signature >= getvariable('debut') AS est_signe_en_n,
    CASE WHEN s.reference_contrat IS NOT NULL THEN o.reference_contrat IS NOT NULL END AS est_optam_signature,
    CASE WHEN s.reference_contrat IS NOT NULL THEN coalesce(p.n, 0) END AS patientele_mt_signature
FROM contrats k
LEFT JOIN signes_en_n s ON s.reference_contrat = k.reference_contrat
LEFT JOIN optam o ON o.reference_contrat = k.reference_contrat
LEFT JOIN patientele p ON p.reference_contrat = k.reference_contrat
ORDER BY k.reference_contrat

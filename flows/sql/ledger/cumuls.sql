-- One row per run key the ledger knows for year N (?): its business key and cumulative amount published.
SELECT
    cle_id,
    any_value(beneficiaire_type) AS beneficiaire_type,
    any_value(beneficiaire_id) AS beneficiaire_id,
    any_value(dispositif) AS dispositif,
    any_value(annee_reference) AS annee_reference,
    any_value(nature_versement) AS nature_versement,
    any_value(echeance) AS echeance,
    any_value(reference_contrat) AS reference_contrat,
    sum(montant_centimes)::BIGINT AS cumul_centimes
FROM mouvements
WHERE annee_reference = ?
GROUP BY cle_id

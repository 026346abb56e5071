-- One row per line published by publication ?, in the outputs.md columns.
SELECT id_ligne, annee_reference, annee_versement, dispositif, beneficiaire_type, beneficiaire_id,
       nature_versement, echeance, montant_centimes, reference_contrat
FROM lignes
WHERE seq = ?

-- One row per run key whose amount publication ? changed.
SELECT cle_id, beneficiaire_type, beneficiaire_id, dispositif, annee_reference, nature_versement, echeance,
       reference_contrat, id_ligne_publie, montant_centimes
FROM mouvements
WHERE seq = ?

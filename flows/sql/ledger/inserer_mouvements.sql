-- One row per (run key, publication ?) whose amount the publication changed (the frame nouveaux_mouvements).
INSERT INTO mouvements
SELECT ?, cle_id, beneficiaire_type, beneficiaire_id, dispositif, annee_reference, nature_versement,
       echeance, reference_contrat, id_ligne_publie, montant_centimes
FROM nouveaux_mouvements

-- One row per published line of publication ? (the frame nouvelles_lignes has the outputs.md columns).
INSERT INTO lignes
SELECT ?, id_ligne, annee_reference, annee_versement, dispositif, beneficiaire_type, beneficiaire_id,
       nature_versement, echeance, montant_centimes, reference_contrat
FROM nouvelles_lignes

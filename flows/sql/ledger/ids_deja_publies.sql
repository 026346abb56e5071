-- One row per line id of the frame nouvelles_lignes that the ledger already holds (never published twice).
SELECT l.id_ligne, l.seq
FROM lignes AS l
JOIN nouvelles_lignes AS n USING (id_ligne)

-- What the ledger holds as paid for year N (?) after publication ? (its movements and every earlier one's),
-- per dispositif: the cumulative net amount, and how many keys hold a non-zero amount.
SELECT dispositif, sum(cumul)::BIGINT AS somme_centimes, count(*) FILTER (WHERE cumul <> 0) AS nb_cles
FROM (
    SELECT dispositif, cle_id, sum(montant_centimes) AS cumul
    FROM mouvements
    WHERE annee_reference = ? AND seq <= ?
    GROUP BY dispositif, cle_id
)
GROUP BY dispositif
ORDER BY dispositif

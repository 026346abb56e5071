-- grain: one row per professional (STA_PFS_NUM) declaring the 2020 Covid activity-loss aid (rules.md §8); empty unless in force [key: ps]
-- H2019 / H2020: fees without dépassement (signs kept) executed from 16 March to 30 May of N−1 and N on any of his
-- cabinets, on medical act natures, or for a professional who is not a doctor also on his profession's fee groups.
-- Decision: 2019 lines are attributed through the DA_PRA_R snapshot of N (cabinets absent from it are not counted).
WITH declarations AS (
    SELECT
        c.ps,
        count(*) AS nb_declarations,
        sum(d.acompte_verse) AS acompte_verse,
        sum(d.aide_activite_partielle) AS aide_activite_partielle,
        sum(d.aide_fonds_solidarite) AS aide_fonds_solidarite,
        sum(d.ij_percues) AS ij_percues,
        bool_or(d.part_substantielle) AS part_substantielle
    FROM stg_dipa_declarations d
    JOIN stg_da_pra_r c ON c.cabinet = d.cabinet
    WHERE getvariable('aide_perte_activite_covid')
    GROUP BY c.ps
),
lignes AS (
    SELECT cabinet, nature, depense_centimes - depassement_centimes AS honoraires, est_annee_precedente AS est_prec
    FROM stg_er_prs_f
    WHERE getvariable('aide_perte_activite_covid')
        AND qualificatif_depense <> getvariable('dpn_info')
        AND (
            (NOT est_annee_precedente AND date_soins BETWEEN getvariable('perte_activite_debut') AND getvariable('perte_activite_fin'))
            OR (est_annee_precedente
                AND date_soins BETWEEN getvariable('perte_activite_debut_prec') AND getvariable('perte_activite_fin_prec'))
        )
),
honoraires AS (
    SELECT
        c.ps,
        coalesce(sum(l.honoraires) FILTER (WHERE l.est_prec), 0) AS h_prec,
        coalesce(sum(l.honoraires) FILTER (WHERE NOT l.est_prec), 0) AS h_n
    FROM lignes l
    JOIN stg_da_pra_r c ON c.cabinet = l.cabinet
    JOIN declarations d ON d.ps = c.ps
    JOIN stg_ir_nat_v n ON n.prs_nat = l.nature
    WHERE list_contains(getvariable('nat_rgt_actes'), n.prs_nat_rgt)
        OR (c.pfs_cat_cod <> getvariable('cat_medecin')
            AND list_contains(getvariable('perte_activite_nat_rgt_autres'), n.prs_nat_rgt))
    GROUP BY c.ps
)
SELECT
    d.*,
    m.pfs_cat_cod,
    m.specialite,
    m.secteur,
    m.cnv_cnv_cod,
    m.exc_exc_nat,
    m.date_installation,
    list_contains(getvariable('exc_liberal'), m.exc_exc_nat) AS est_liberal,
    list_contains(getvariable('cnv_conventionne'), m.cnv_cnv_cod) AS est_conventionne,
    coalesce(h.h_prec, 0) AS honoraires_2019,
    coalesce(h.h_n, 0) AS honoraires_2020
FROM declarations d
JOIN int_medecins m ON m.ps = d.ps
LEFT JOIN honoraires h ON h.ps = d.ps

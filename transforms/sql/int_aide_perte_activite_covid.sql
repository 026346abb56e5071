-- grain: one row per professional (STA_PFS_NUM) declaring the 2020 Covid activity-loss aid (rules.md §8); empty unless dipa
-- H2019 / H2020: fees without dépassement (signs kept) executed from 16 March to 30 May of N−1 and N on any of his
-- cabinets, on medical act natures, or for a professional who is not a doctor also on his profession's fee groups.
-- Decision: 2019 lines are attributed through the DA_PRA_R snapshot of N (cabinets absent from it are not counted).
WITH declarations AS (
    SELECT
        c.ps,
        count(*) AS nb_declarations,
        sum(d.ACOMPTE_VERSE) AS acompte_verse,
        sum(d.AIDE_ACTIVITE_PARTIELLE) AS aide_activite_partielle,
        sum(d.AIDE_FONDS_SOLIDARITE) AS aide_fonds_solidarite,
        sum(d.IJ_PERCUES) AS ij_percues,
        bool_or(d.PART_SUBSTANTIELLE) AS part_substantielle
    FROM read_parquet(getvariable('t_DIPA_DECLARATIONS')) d
    JOIN stg_cabinets c ON c.cabinet = d.PFS_PFS_NUM
    WHERE getvariable('dipa')
    GROUP BY c.ps
),
lignes AS (
    SELECT PFS_EXE_NUM, PRS_NAT_REF, PRS_PAI_MNT - PRS_DEP_MNT AS honoraires, false AS est_prec
    FROM read_parquet(getvariable('t_ER_PRS_F'))
    WHERE getvariable('dipa') AND EXE_SOI_DTD BETWEEN getvariable('dipa_debut') AND getvariable('dipa_fin')
        AND DPN_QLF <> getvariable('dpn_info')
    UNION ALL
    SELECT PFS_EXE_NUM, PRS_NAT_REF, PRS_PAI_MNT - PRS_DEP_MNT AS honoraires, true AS est_prec
    FROM read_parquet(getvariable('t_ER_PRS_F_prec'))
    WHERE getvariable('dipa') AND EXE_SOI_DTD BETWEEN getvariable('dipa_debut_prec') AND getvariable('dipa_fin_prec')
        AND DPN_QLF <> getvariable('dpn_info')
),
honoraires AS (
    SELECT
        c.ps,
        coalesce(sum(l.honoraires) FILTER (WHERE l.est_prec), 0) AS h_prec,
        coalesce(sum(l.honoraires) FILTER (WHERE NOT l.est_prec), 0) AS h_n
    FROM lignes l
    JOIN stg_cabinets c ON c.cabinet = l.PFS_EXE_NUM
    JOIN declarations d ON d.ps = c.ps
    JOIN stg_natures n ON n.prs_nat = l.PRS_NAT_REF
    WHERE list_contains(getvariable('nat_rgt_actes'), n.prs_nat_rgt)
        OR (c.pfs_cat_cod <> getvariable('cat_medecin')
            AND list_contains(getvariable('dipa_nat_rgt_autres'), n.prs_nat_rgt))
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

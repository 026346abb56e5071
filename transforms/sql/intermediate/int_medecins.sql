-- grain: one row per doctor (STA_PFS_NUM) of DA_PRA_R at 31/12/N: his main cabinet's attributes (rules.md §0) [key: ps]
-- Decision: when no cabinet carries the main number itself, the lowest cabinet number of the group stands for it.
WITH principal AS (
    SELECT *
    FROM stg_da_pra_r
    QUALIFY row_number() OVER (PARTITION BY ps ORDER BY (cabinet = ps) DESC, cabinet) = 1
),
optam AS (
    SELECT DISTINCT c.ps
    FROM stg_optam o
    JOIN stg_da_pra_r c ON c.cabinet = o.cabinet
    WHERE o.debut <= getvariable('fin') AND (o.fin IS NULL OR o.fin >= getvariable('fin'))
),
zone AS (
    SELECT commune, arg_max(zone, debut) AS zone
    FROM stg_zonage
    WHERE debut <= getvariable('fin') AND (fin IS NULL OR fin >= getvariable('fin'))
    GROUP BY commune
),
m AS (
    SELECT
        p.ps,
        p.specialite,
        p.pfs_cat_cod,
        p.cnv_cnv_cod,
        p.exc_exc_nat,
        p.date_installation,
        p.annee_naissance,
        left(p.ps, 2) || p.pfs_exc_com AS commune,
        CASE WHEN left(p.ps, 2) = '97' THEN left(p.ps, 2) || left(p.pfs_exc_com, 1) ELSE left(p.ps, 2) END
            AS departement
    FROM principal p
)
SELECT
    m.*,
    m.pfs_cat_cod = getvariable('cat_medecin')
        AND list_contains(getvariable('exc_liberal'), m.exc_exc_nat)
        AND list_contains(getvariable('cnv_conventionne'), m.cnv_cnv_cod) AS est_dans_champ,
    list_contains(getvariable('generalistes'), m.specialite) AS est_generaliste,
    CASE
        WHEN list_contains(getvariable('cnv_secteur_1'), m.cnv_cnv_cod) THEN 1
        WHEN list_contains(getvariable('cnv_secteur_2'), m.cnv_cnv_cod) THEN 2
    END AS secteur,
    o.ps IS NOT NULL AS est_optam,
    z.zone
FROM m
LEFT JOIN optam o ON o.ps = m.ps
LEFT JOIN zone z ON z.commune = m.commune

-- grain: one row per prestation nature code of the IR_NAT_V nomenclature, with its regroupement (PRS_NAT_RGT) [key: prs_nat]
SELECT
    CAST(PRS_NAT AS BIGINT) AS prs_nat,
    CAST(PRS_NAT_RGT AS BIGINT) AS prs_nat_rgt
FROM read_csv(getvariable('ref_IR_NAT_V'), delim = ';', header = true, all_varchar = true)
WHERE PRS_NAT_RGT IS NOT NULL AND PRS_NAT_RGT <> ''

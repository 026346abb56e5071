-- grain: one row per doctor (STA_PFS_NUM) of DA_PRA_R at 31/12/N: everything the yearly forfaits read [key: ps]
SELECT
    getvariable('annee') AS annee_reference,
    m.*,
    coalesce(a.nb_actes, 0) AS nb_actes,
    coalesce(a.nb_actes_ame, 0) AS nb_actes_ame,
    coalesce(a.honoraires_sans_depassement_centimes, 0) AS honoraires_sans_depassement_centimes,
    coalesce(a.honoraires_ccam_centimes, 0) AS honoraires_ccam_centimes,
    coalesce(a.file_active, 0) AS file_active,
    coalesce(p.patientele_mt, 0) AS patientele_mt,
    coalesce(o.nb_patients_orientes_ipa, 0) AS nb_patients_orientes_ipa,
    d.date_operationnel IS NOT NULL AND d.date_operationnel <= getvariable('fin') AS est_sas_operationnel,
    coalesce(s.est_inscrit_sas, false) AS est_inscrit_sas,
    coalesce(s.est_agenda_ou_orga_sas, false) AS est_agenda_ou_orga_sas,
    coalesce(u.nb_stagiaires, 0) AS nb_stagiaires
FROM int_medecins m
LEFT JOIN int_activite a ON a.ps = m.ps
LEFT JOIN int_patientele_mt p ON p.ps = m.ps
LEFT JOIN int_orientations_ipa o ON o.ps = m.ps
LEFT JOIN stg_sas_deploiement d ON d.departement = m.departement
LEFT JOIN int_sas s ON s.ps = m.ps
LEFT JOIN int_msu u ON u.ps = m.ps

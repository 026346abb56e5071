-- one row per patient born by 31/12 of annee; death dates known by then, else 01/01/1600 (alive)
SELECT nir AS BEN_NIR_PSA, rng AS BEN_RNG_GEM, annee_naissance AS BEN_NAI_ANN, sexe AS BEN_SEX_COD,
       CASE WHEN date_deces <= fin_annee(getvariable('annee')) THEN date_deces ELSE DATE '1600-01-01' END
           AS BEN_DCD_DTE
FROM patients
WHERE annee_naissance <= getvariable('annee')
UNION ALL BY NAME
SELECT * FROM bornes_ir_ben_r

-- The ledger (append-only): one row per publication, the lines it published, and its movements (its effect
-- on each key of a run; cle_id = the run line's id_ligne). Rows are only ever inserted, never updated.
CREATE TABLE IF NOT EXISTS publications (
    seq INTEGER PRIMARY KEY,
    annee_reference BIGINT NOT NULL,
    run_id VARCHAR NOT NULL,
    run_manifest_sha256 VARCHAR NOT NULL,
    echeance_regularisation DATE NOT NULL,
    cree_le VARCHAR NOT NULL,
    nb_lignes BIGINT NOT NULL,
    somme_centimes BIGINT NOT NULL,
    empreinte_contenu VARCHAR NOT NULL,
    empreinte_chaine VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS lignes (
    seq INTEGER NOT NULL,
    id_ligne VARCHAR PRIMARY KEY,  -- a line id is published once, ever
    annee_reference BIGINT NOT NULL,
    annee_versement BIGINT NOT NULL,
    dispositif VARCHAR NOT NULL,
    beneficiaire_type VARCHAR NOT NULL,
    beneficiaire_id VARCHAR NOT NULL,
    nature_versement VARCHAR NOT NULL,
    echeance DATE NOT NULL,
    montant_centimes BIGINT NOT NULL,
    reference_contrat VARCHAR
);
CREATE TABLE IF NOT EXISTS mouvements (
    seq INTEGER NOT NULL,
    cle_id VARCHAR NOT NULL,
    beneficiaire_type VARCHAR NOT NULL,
    beneficiaire_id VARCHAR NOT NULL,
    dispositif VARCHAR NOT NULL,
    annee_reference BIGINT NOT NULL,
    nature_versement VARCHAR NOT NULL,
    echeance DATE NOT NULL,
    reference_contrat VARCHAR,
    id_ligne_publie VARCHAR,
    montant_centimes BIGINT NOT NULL
);

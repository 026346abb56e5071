-- grain: one row per (colonne, controle) of a quarantine file written by the compiled engine
-- (transforms/validation_polars.py)
-- $1: path of the quarantine Parquet file; `defauts` holds the defects of a row, separated by chr(30), each
-- as colonne chr(31) controle chr(31) valeur (patient identifiers are already masked)
WITH d AS (
    SELECT ligne, unnest(string_split(defauts, chr(30))) AS defaut
    FROM read_parquet(?)
    WHERE defauts IS NOT NULL
)
SELECT
    split_part(defaut, chr(31), 1) AS colonne,
    split_part(defaut, chr(31), 2) AS controle,
    count(*) AS nombre,
    coalesce(min(ligne, 5), []) AS premieres_lignes,
    coalesce(list(DISTINCT nullif(split_part(defaut, chr(31), 3), ''))[1:5], []) AS exemples
FROM d
GROUP BY ALL
ORDER BY nombre DESC, colonne, controle

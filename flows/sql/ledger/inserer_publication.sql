-- One row per publication: appended with its lines and movements in one transaction.
INSERT INTO publications VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)

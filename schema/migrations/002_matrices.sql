-- vCPU x samples matrices. Their runs are ordinary runs tagged with the matrix
-- and their position in the interleaved order; statistics are computed from them.
CREATE TABLE matrices (
  seq          INTEGER PRIMARY KEY AUTOINCREMENT,
  id           TEXT NOT NULL UNIQUE,
  status       TEXT NOT NULL CHECK (status IN ('running','done','cancelled','interrupted')),
  request_json TEXT NOT NULL,
  isolation    TEXT NOT NULL CHECK (isolation IN ('exclusive','parallel')),
  parallel     INTEGER NOT NULL,
  total        INTEGER NOT NULL,
  created_us   INTEGER NOT NULL,
  finished_us  INTEGER
);

ALTER TABLE runs ADD COLUMN matrix_id TEXT REFERENCES matrices(id);
ALTER TABLE runs ADD COLUMN matrix_index INTEGER;
CREATE INDEX runs_matrix ON runs(matrix_id, matrix_index);

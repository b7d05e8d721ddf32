-- Disk images made by unattended installs join the images table, and the
-- installs themselves are kept as documents (their phases, runs and outcome).
CREATE TABLE images_v6 (
  seq        INTEGER PRIMARY KEY AUTOINCREMENT,
  id         TEXT NOT NULL UNIQUE,
  sha256     TEXT NOT NULL UNIQUE,
  path       TEXT NOT NULL,
  kind       TEXT NOT NULL CHECK (kind IN ('iso', 'disk')),
  info_json  TEXT NOT NULL,
  created_us INTEGER NOT NULL
);
INSERT INTO images_v6 SELECT * FROM images;
DROP TABLE images;
ALTER TABLE images_v6 RENAME TO images;

CREATE TABLE installs (
  seq        INTEGER PRIMARY KEY AUTOINCREMENT,
  id         TEXT NOT NULL UNIQUE,
  status     TEXT NOT NULL,
  doc_json   TEXT NOT NULL,
  created_us INTEGER NOT NULL
);

-- Scenario steps (what an install or a scripted session did, and when) are markers too.
CREATE TABLE markers_v6 (
  run_id  TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  ord     INTEGER NOT NULL,
  name    TEXT NOT NULL,
  t_us    INTEGER NOT NULL,
  source  TEXT NOT NULL CHECK (source IN ('serial','symbol','scenario')),
  text    TEXT,
  PRIMARY KEY (run_id, ord)
);
INSERT INTO markers_v6 SELECT * FROM markers;
DROP TABLE markers;
ALTER TABLE markers_v6 RENAME TO markers;

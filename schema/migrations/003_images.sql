-- Registered images (verified ISOs); one row per distinct SHA-256.
CREATE TABLE images (
  seq        INTEGER PRIMARY KEY AUTOINCREMENT,
  id         TEXT NOT NULL UNIQUE,
  sha256     TEXT NOT NULL UNIQUE,
  path       TEXT NOT NULL,
  kind       TEXT NOT NULL CHECK (kind IN ('iso')),
  info_json  TEXT NOT NULL,
  created_us INTEGER NOT NULL
);

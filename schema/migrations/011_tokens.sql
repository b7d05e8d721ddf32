-- API tokens: only their SHA-256 is kept. scope read: GET routes and MCP's
-- read tools; full: everything.
CREATE TABLE tokens (
  id         TEXT PRIMARY KEY,
  name       TEXT NOT NULL,
  scope      TEXT NOT NULL CHECK (scope IN ('read', 'full')),
  sha256     TEXT NOT NULL UNIQUE,
  created_us INTEGER NOT NULL,
  revoked_us INTEGER
);

-- Runs, their markers and where their serial log lives.
-- Times: *_us columns are microseconds; wall-clock ones since the Unix epoch,
-- marker stamps relative to t0 (QMP `cont` acknowledged).
CREATE TABLE runs (
  seq              INTEGER PRIMARY KEY AUTOINCREMENT,
  id               TEXT NOT NULL UNIQUE,
  status           TEXT NOT NULL CHECK (status IN
                     ('queued','running','succeeded','failed','timeout','cancelled','interrupted')),
  arch             TEXT NOT NULL,
  cpus             INTEGER NOT NULL,
  memory_mb        INTEGER NOT NULL,
  accel            TEXT,
  accel_requested  TEXT NOT NULL,
  accel_note       TEXT,
  profile          TEXT NOT NULL,
  label            TEXT,
  spec_json        TEXT NOT NULL,
  created_us       INTEGER NOT NULL,
  started_us       INTEGER,
  finished_us      INTEGER,
  qemu_start_us    INTEGER,
  boot_time_us     INTEGER,
  terminal_marker  TEXT,
  guest_cpus_online INTEGER,
  missing_json     TEXT,
  error_code       TEXT,
  error_message    TEXT,
  exit_code        INTEGER,
  exit_signal      INTEGER,
  serial_path      TEXT,
  serial_bytes     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX runs_status ON runs(status, seq);

CREATE TABLE markers (
  run_id  TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  ord     INTEGER NOT NULL,
  name    TEXT NOT NULL,
  t_us    INTEGER NOT NULL,
  source  TEXT NOT NULL CHECK (source IN ('serial','symbol')),
  text    TEXT,
  PRIMARY KEY (run_id, ord)
);

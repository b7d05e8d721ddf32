-- Interrupt and exception deliveries counted from QEMU's interrupt log (TCG),
-- per second of boot (the second the daemon read them), vector and kind.
CREATE TABLE trap_counts (
  run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  second INTEGER NOT NULL,
  vector INTEGER NOT NULL,
  kind   TEXT NOT NULL CHECK (kind IN ('exception','software','hardware')),
  count  INTEGER NOT NULL,
  PRIMARY KEY (run_id, second, vector, kind)
);

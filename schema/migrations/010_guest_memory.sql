-- /proc/meminfo as the guest printed it during a run with guest_memory, parsed.
CREATE TABLE guest_memory (
  run_id      TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  t_us        INTEGER NOT NULL,
  values_json TEXT NOT NULL,
  PRIMARY KEY (run_id, t_us)
);

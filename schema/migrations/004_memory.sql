-- Memory and CPU samples of a run's QEMU process (memory_sample_ms in the request).
CREATE TABLE memory_samples (
  run_id   TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  t_us     INTEGER NOT NULL, -- relative to t0
  rss_kb   INTEGER NOT NULL,
  minflt   INTEGER NOT NULL,
  majflt   INTEGER NOT NULL,
  utime_ms INTEGER NOT NULL,
  stime_ms INTEGER NOT NULL,
  PRIMARY KEY (run_id, t_us)
);

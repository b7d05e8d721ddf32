-- Syscall traces, kept as documents like installs: the command, the run that
-- booted the guest for it, the parsed table and the tracer's transcript.
CREATE TABLE traces (
  seq        INTEGER PRIMARY KEY AUTOINCREMENT,
  id         TEXT NOT NULL UNIQUE,
  status     TEXT NOT NULL,
  doc_json   TEXT NOT NULL,
  created_us INTEGER NOT NULL
);

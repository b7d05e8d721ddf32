-- Bytes of console kept in the run's log: less than serial_bytes when the
-- per-run cap (--max-log-mb) cut it; NULL for runs from before the cap.
ALTER TABLE runs ADD COLUMN serial_logged INTEGER;

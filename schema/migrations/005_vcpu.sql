-- Per-vCPU host CPU time (QMP query-cpus-fast thread ids) and the guest's RAM
-- size (query-memory-size-summary) with each memory sample.
ALTER TABLE memory_samples ADD COLUMN vcpu_ms_json TEXT;
ALTER TABLE memory_samples ADD COLUMN guest_ram_mb INTEGER;

-- Where a run ran ({"name","cpu_model","qemu_version"} as JSON; NULL for runs from before), and the
-- Slurm job (ARRAYJOB_TASK) that ran it, NULL for runs of this daemon's own machine.
ALTER TABLE runs ADD COLUMN host_json TEXT;
ALTER TABLE runs ADD COLUMN slurm_job TEXT;

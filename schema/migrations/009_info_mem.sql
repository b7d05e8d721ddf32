-- Under TCG, at most once a second: the guest memory mapped in the address
-- space the vCPU was running (HMP "info mem"), and what asking cost.
ALTER TABLE memory_samples ADD COLUMN guest_mapped_kb INTEGER;
ALTER TABLE memory_samples ADD COLUMN info_mem_us INTEGER;

-- The virtual clock (issue 19): a marker's time counted in guest instructions, beside its host
-- time t_us. NULL: the run used the host clock only, or the count of that marker was not observed.
ALTER TABLE markers ADD COLUMN instructions INTEGER;

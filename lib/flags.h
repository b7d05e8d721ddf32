/* Numeric command-line flags of the daemon and the CLI: a value that is not a number, or not in
 * range, is a usage error named after its flag, never a silent default (atoi made "--max-running x"
 * 1). */
#pragma once

/* Parses v as an integer in [lo, hi] into *out; otherwise prints "PROG: --FLAG wants ..." and
 * returns -EINVAL (the caller exits 2). */
int flag_int(const char *prog, const char *flag, const char *v, long lo, long hi, int *out);
/* The same for a long (cursors, which are row numbers). */
int flag_long(const char *prog, const char *flag, const char *v, long lo, long hi, long *out);
/* The same for a number (seconds, rates) greater than lo and at most hi. */
int flag_double(const char *prog, const char *flag, const char *v, double lo, double hi,
                double *out);

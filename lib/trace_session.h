/* A traced command as a console session: the scenario that logs in, runs the
 * command under the guest's tracer (strace on Linux, trace on MINIX) writing
 * to a file, prints that file between markers and powers off; and the
 * extraction of the trace, the command's own output and its exit status from
 * the run's console log afterwards. */
#pragma once
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "lib/error.h"

#define TRACE_COMMAND_MAX 512

struct trace_result {
  char *trace;     /* the tracer's output file, NULL when the markers were not seen */
  char *output;    /* what the command printed on the console (capped) */
  int exit_status; /* the tracer's exit status ($?), -1 when not seen */
};

/* Checks a command line typed into the guest's shell: 1..512 printable characters. */
int trace_session_check_command(const char *command, struct ma_error *err);
/* The scenario definition for tracer "strace" or "trace". */
json_t *trace_session_scenario(const char *tracer, const char *command, bool summary,
                               int command_timeout_s);
/* Fills out from a console log; free with trace_result_clear. */
void trace_session_extract(const char *log, size_t len, struct trace_result *out);
void trace_result_clear(struct trace_result *r);

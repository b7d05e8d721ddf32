/* Parsers of syscall tracer output into one table: strace -f (with or
 * without -T), strace -c summaries, and MINIX's trace -f, whose line shapes
 * come from shared/minix/console-reference.md (it has no summary mode, so
 * every line is counted here). The result:
 * {"tracer","total_calls","total_errors",
 *  "syscalls":[{"name","calls","errors","share","errnos":{},"time_s"}],
 *  "processes":[{"pid","calls","errors"}],"signals":{},"exit":{"pid","code"|"signal"},
 *  "lines","unparsed","unparsed_examples":[]}; syscalls sorted by calls, then name. */
#pragma once
#include <jansson.h>
#include <stddef.h>

/* strace -f output (to a file: "PID  call", or to stderr: "[pid PID] call"). */
json_t *syscall_trace_strace(const char *text, size_t len);
/* The table strace -c prints. */
json_t *syscall_trace_strace_summary(const char *text, size_t len);
/* MINIX trace -f output. */
json_t *syscall_trace_minix(const char *text, size_t len);
/* The table as aligned text, as CSV (name,calls,errors,share,time_s), as an SVG bar chart
 * (malloc'd). */
char *syscall_trace_text(json_t *table);
char *syscall_trace_csv(json_t *table);
char *syscall_trace_svg(json_t *table, const char *title);

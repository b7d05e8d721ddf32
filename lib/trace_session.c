#include "lib/trace_session.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

#define OUTPUT_MAX 8192
#define TRACE_FILE "/tmp/ma.trace"

int trace_session_check_command(const char *command, struct ma_error *err) {
  size_t n = command ? strlen(command) : 0;
  if (n == 0 || n > TRACE_COMMAND_MAX) {
    ma_error_set(err, EINVAL, command ? "out_of_range" : "missing_field", "command",
                 "command must be a command line of 1 to %d characters", TRACE_COMMAND_MAX);
    return -EINVAL;
  }
  for (size_t i = 0; i < n; i++) {
    if ((unsigned char)command[i] < 0x20 || command[i] == 0x7f) {
      ma_error_set(
          err, EINVAL, "invalid_value", "command",
          "command must be one line of printable characters (it is typed into the guest's shell)");
      return -EINVAL;
    }
  }
  return 0;
}

json_t *trace_session_scenario(const char *tracer, const char *command, bool summary,
                               int command_timeout_s) {
  bool linux_strace = strcmp(tracer, "strace") == 0;
  /* The markers are printed by echo; the shell echoes the command line too, so the END marker is
   * spelled apart there ("MA-TRACE-""END") and only the printed one matches. */
  char *run = util_strdupf("%s -o " TRACE_FILE " %s; echo MA-EXIT=$?\r",
                           linux_strace ? (summary ? "strace -f -c" : "strace -f -T") : "trace -f",
                           command);
  json_t *sc =
      json_pack("{s:s, s:s, s:[{s:s, s:s, s:s, s:i}, {s:s, s:s, s:s}, {s:s, s:s, s:s, s:i}, {s:s, "
                "s:s, s:s}, {s:s, s:b, s:i}]}",
                "name", linux_strace ? "strace-command" : "minix-trace-command", "description",
                "log in, run the command under the tracer into a file, print the file between "
                "markers, power off",
                "steps", "name", "login", "expect", "login: ?$", "send", "root\r", "timeout_s", 600,
                "name", "run", "expect", "(^|\n)[^\n]*# $", "send", run, "name", "command",
                "expect", "(^|\n)MA-EXIT=\\d+", "send",
                "echo MA-TRACE-BEGIN; cat " TRACE_FILE "; echo MA-TRACE-\"\"END\r", "timeout_s",
                command_timeout_s, "name", "collect", "expect", "(^|\n)MA-TRACE-END\n", "send",
                linux_strace ? "poweroff -f\r" : "poweroff\r", "name", "power-off", "expect_exit",
                1, "timeout_s", 120);
  free(run);
  return sc;
}

/* The start of the last line that begins with marker, or NULL. */
static const char *last_line_starting(const char *text, const char *marker) {
  const char *found = NULL;
  size_t n = strlen(marker);
  for (const char *p = text; (p = strstr(p, marker)); p += n)
    if (p == text || p[-1] == '\n')
      found = p;
  return found;
}

/* Without CR and NUL: the real MINIX pads its console with NUL bytes (15 before its shell prompt),
 * which cut the log short as a string and lost the whole trace. */
static char *without_cr(const char *s, size_t n, size_t cap) {
  char *out = malloc((n < cap ? n : cap) + 1);
  size_t o = 0;
  for (size_t i = 0; out && i < n && o < cap; i++)
    if (s[i] != '\r' && s[i] != '\0')
      out[o++] = s[i];
  if (out)
    out[o] = '\0';
  return out;
}

void trace_session_extract(const char *log, size_t len, struct trace_result *out) {
  *out = (struct trace_result){NULL, NULL, -1};
  char *text = without_cr(log, len, len);
  if (!text)
    return;
  const char *exit = last_line_starting(text, "MA-EXIT=");
  if (exit && exit[8] >= '0' && exit[8] <= '9')
    out->exit_status = atoi(exit + 8);
  /* The command's output: from after the echoed command line to the exit marker. */
  const char *cmd = strstr(text, "; echo MA-EXIT=$?");
  const char *start = cmd ? strchr(cmd, '\n') : NULL;
  if (start && exit && start + 1 <= exit)
    out->output = without_cr(start + 1, (size_t)(exit - start - 1), OUTPUT_MAX);
  const char *begin = last_line_starting(text, "MA-TRACE-BEGIN\n");
  const char *end = begin ? last_line_starting(begin, "MA-TRACE-END\n") : NULL;
  if (begin && end) {
    begin += strlen("MA-TRACE-BEGIN\n");
    out->trace = strndup(begin, (size_t)(end - begin));
  }
  free(text);
}

void trace_result_clear(struct trace_result *r) {
  free(r->trace);
  free(r->output);
  *r = (struct trace_result){NULL, NULL, -1};
}

#include "lib/syscall_trace.h"

#include <ctype.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

#define EXAMPLES_MAX 5
#define LINE_MAX_LEN 4096

/* Counts as they are gathered; turned into the JSON table at the end. */
struct tally {
  json_t *calls; /* name -> {"calls","errors","errnos":{},"time_s"} */
  json_t *procs; /* pid -> {"calls","errors"} */
  json_t *signals;
  json_t *exit;
  json_t *examples;
  long lines, unparsed;
  bool timed;
  /* MINIX trace: the first traced process, whose lines carry no pid while it is the only one, and
   * the children whose first call is their own half of fork (shown, but not a call they made). */
  char main_pid[24];
  json_t *fork_children;
};

static void tally_init(struct tally *t) {
  *t = (struct tally){
      json_object(), json_object(), json_object(), json_null(), json_array(), 0, 0, false, "",
      json_object()};
}

/* Counts come from guest text: they saturate instead of overflowing (found by fuzzing). */
static json_int_t sat_add(json_int_t a, json_int_t b) {
  if (b > 0 && a > LLONG_MAX - b)
    return LLONG_MAX;
  return a + b;
}

static void bump(json_t *obj, const char *key, json_int_t by) {
  json_t *v = json_object_get(obj, key);
  json_object_set_new(obj, key, json_integer(sat_add(v ? json_integer_value(v) : 0, by)));
}

static json_t *entry(json_t *map, const char *key) {
  json_t *e = json_object_get(map, key);
  if (!e) {
    e = json_pack("{s:i, s:i, s:{}}", "calls", 0, "errors", 0, "errnos");
    json_object_set_new(map, key, e);
  }
  return e;
}

static void count_call(struct tally *t, const char *pid, const char *name) {
  bump(entry(t->calls, name), "calls", 1);
  bump(entry(t->procs, pid), "calls", 1);
}

static void count_result(struct tally *t, const char *pid, const char *name, const char *err,
                         double secs) {
  json_t *e = entry(t->calls, name);
  if (err) {
    bump(e, "errors", 1);
    bump(json_object_get(e, "errnos"), err, 1);
    bump(entry(t->procs, pid), "errors", 1);
  }
  if (secs >= 0) {
    json_t *ts = json_object_get(e, "time_s");
    json_object_set_new(e, "time_s", json_real((ts ? json_real_value(ts) : 0) + secs));
    t->timed = true;
  }
}

static void unparsed(struct tally *t, const char *line) {
  t->unparsed++;
  if (json_array_size(t->examples) < EXAMPLES_MAX)
    json_array_append_new(t->examples, json_string(line));
}

static int by_calls(const void *a, const void *b) {
  json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
  json_int_t cx = json_integer_value(json_object_get(x, "calls")),
             cy = json_integer_value(json_object_get(y, "calls"));
  if (cx != cy)
    return cx > cy ? -1 : 1;
  return strcmp(json_string_value(json_object_get(x, "name")),
                json_string_value(json_object_get(y, "name")));
}

static json_t *finish(struct tally *t, const char *tracer) {
  size_t n = json_object_size(t->calls), i = 0;
  json_t **rows = calloc(n ? n : 1, sizeof *rows);
  json_int_t total = 0, errors = 0;
  const char *key;
  json_t *v;
  json_object_foreach(t->calls, key, v) {
    total = sat_add(total, json_integer_value(json_object_get(v, "calls")));
    errors = sat_add(errors, json_integer_value(json_object_get(v, "errors")));
  }
  json_object_foreach(t->calls, key, v) {
    json_object_set_new(v, "name", json_string(key));
    json_int_t c = json_integer_value(json_object_get(v, "calls"));
    json_object_set_new(v, "share", json_real(total ? (double)c / (double)total : 0));
    if (!json_object_get(v, "time_s"))
      json_object_set_new(v, "time_s", json_null());
    rows[i++] = json_incref(v);
  }
  qsort(rows, n, sizeof *rows, by_calls);
  json_t *arr = json_array(), *procs = json_array();
  for (i = 0; i < n; i++)
    json_array_append_new(arr, rows[i]);
  free(rows);
  json_object_foreach(t->procs, key, v) {
    json_array_append_new(
        procs, json_pack("{s:I, s:O, s:O}", "pid", (json_int_t)strtoll(key, NULL, 10), "calls",
                         json_object_get(v, "calls"), "errors", json_object_get(v, "errors")));
  }
  json_t *out =
      json_pack("{s:s, s:I, s:I, s:o, s:o, s:o, s:o, s:I, s:I, s:o, s:b}", "tracer", tracer,
                "total_calls", total, "total_errors", errors, "syscalls", arr, "processes", procs,
                "signals", t->signals, "exit", t->exit, "lines", (json_int_t)t->lines, "unparsed",
                (json_int_t)t->unparsed, "unparsed_examples", t->examples, "timed", t->timed);
  json_decref(t->calls);
  json_decref(t->procs);
  json_decref(t->fork_children);
  return out;
}

/* Calls each line of text (no \r, no \n, at most LINE_MAX_LEN - 1 bytes). */
static void each_line(const char *text, size_t len, struct tally *t,
                      void (*fn)(struct tally *, char *)) {
  char line[LINE_MAX_LEN];
  size_t n = 0;
  for (size_t i = 0; i <= len; i++) {
    if (i == len || text[i] == '\n') {
      line[n] = '\0';
      if (n) {
        t->lines++;
        fn(t, line);
      }
      n = 0;
    } else if (text[i] != '\r' && n < sizeof line - 1) {
      line[n++] = text[i];
    }
  }
}

static bool ident_char(char c) { return isalnum((unsigned char)c) || c == '_'; }

/* "name(" at s: the name's length, else 0. */
static size_t call_name(const char *s) {
  size_t n = 0;
  while (ident_char(s[n]))
    n++;
  return n && s[n] == '(' && isalpha((unsigned char)s[0]) ? n : 0;
}

#define NAME_MAX_LEN 64

static void copy_name(char name[NAME_MAX_LEN], const char *s, size_t n) {
  snprintf(name, NAME_MAX_LEN, "%.*s", (int)(n < NAME_MAX_LEN ? n : NAME_MAX_LEN - 1), s);
}

/* The last " = " of a line: the return value follows it (arguments may hold " = " in strings). */
static const char *last_equals(const char *s) {
  const char *eq = NULL;
  for (const char *p = s; (p = strstr(p, " = ")); p++)
    eq = p;
  return eq;
}

/* "SIGCHLD ..." at s: counted by name. */
static void count_signal(struct tally *t, const char *s) {
  char sig[32] = "";
  sscanf(s, "%31[A-Z0-9]", sig);
  if (sig[0])
    bump(t->signals, sig, 1);
}

/* How the traced process ended: an exit code (text to read) or a signal's name. */
static void set_exit(struct tally *t, const char *pid, const char *code, const char *signal) {
  json_decref(t->exit);
  json_int_t p = (json_int_t)strtoll(pid, NULL, 10);
  t->exit = code ? json_pack("{s:I, s:I}", "pid", p, "code", (json_int_t)atoi(code))
                 : json_pack("{s:I, s:s}", "pid", p, "signal", signal);
}

/* --- strace --- */

static char *strace_pid(char *line, char pid[24]) {
  snprintf(pid, 24, "0");
  if (strncmp(line, "[pid ", 5) == 0) {
    char *end = strchr(line, ']');
    if (end) {
      snprintf(pid, 24, "%ld", strtol(line + 5, NULL, 10));
      line = end + 1;
    }
  } else if (isdigit((unsigned char)line[0])) {
    char *p = line;
    while (isdigit((unsigned char)*p))
      p++;
    if (*p == ' ') {
      snprintf(pid, 24, "%.*s", (int)(p - line), line);
      line = p;
    }
  }
  while (*line == ' ')
    line++;
  return line;
}

/* " = RET [ERRNO (text)] [<secs>]" at the end of a finished call. */
static void strace_result(struct tally *t, const char *pid, const char *name, const char *rest) {
  const char *eq = last_equals(rest);
  if (!eq) {
    count_result(t, pid, name, NULL, -1);
    return;
  }
  const char *ret = eq + 3;
  char err[32] = "";
  if ((ret[0] == '-' || ret[0] == '?') && (ret = strchr(ret, ' ')) && ret[1] == 'E') {
    size_t k = 0;
    for (ret++; k < sizeof err - 1 && isupper((unsigned char)ret[k]); k++)
      err[k] = ret[k];
    err[k] = '\0';
  }
  const char *lt = strrchr(eq, '<');
  double secs = lt && isdigit((unsigned char)lt[1]) ? strtod(lt + 1, NULL) : -1;
  count_result(t, pid, name, err[0] ? err : NULL, secs);
}

static void strace_line(struct tally *t, char *raw) {
  char pid[24];
  char *line = strace_pid(raw, pid);
  if (strncmp(line, "--- ", 4) == 0) {
    count_signal(t, line + 4);
    return;
  }
  if (strncmp(line, "+++ exited with ", 16) == 0) {
    set_exit(t, pid, line + 16, NULL);
    return;
  }
  if (strncmp(line, "+++ killed by ", 14) == 0) {
    char sig[32] = "";
    sscanf(line + 14, "%31[A-Z0-9]", sig);
    set_exit(t, pid, NULL, sig);
    return;
  }
  if (strncmp(line, "<... ", 5) ==
      0) { /* "<... read resumed>...) = 5": the result of an unfinished call */
    size_t n = call_name(line + 5) ? 0 : strcspn(line + 5, " ");
    char name[NAME_MAX_LEN];
    copy_name(name, line + 5, n);
    if (n && strstr(line, " resumed>")) {
      strace_result(t, pid, name, line);
      return;
    }
  }
  size_t n = call_name(line);
  if (!n) {
    unparsed(t, raw);
    return;
  }
  char name[NAME_MAX_LEN];
  copy_name(name, line, n);
  count_call(t, pid, name);
  if (!strstr(line, "<unfinished ...>"))
    strace_result(t, pid, name, line);
}

json_t *syscall_trace_strace(const char *text, size_t len) {
  struct tally t;
  tally_init(&t);
  each_line(text, len, &t, strace_line);
  return finish(&t, "strace");
}

/* "% time     seconds  usecs/call     calls    errors syscall" rows */
static void summary_line(struct tally *t, char *line) {
  double pct, secs;
  long usecs, calls, errors = 0;
  char name[64];
  if (sscanf(line, "%lf %lf %ld %ld %ld %63s", &pct, &secs, &usecs, &calls, &errors, name) != 6) {
    errors = 0;
    if (sscanf(line, "%lf %lf %ld %ld %63s", &pct, &secs, &usecs, &calls, name) != 5) {
      if (!strchr(line, '%') && !strstr(line, "------") && !strstr(line, "total"))
        unparsed(t, line);
      return;
    }
  }
  if (calls < 0 || errors < 0 || errors > calls) {
    unparsed(t, line);
    return;
  }
  if (strcmp(name, "total") == 0)
    return;
  json_t *e = entry(t->calls, name);
  bump(e, "calls", calls);
  bump(e, "errors", errors);
  json_object_set_new(e, "time_s", json_real(secs));
  t->timed = true;
}

json_t *syscall_trace_strace_summary(const char *text, size_t len) {
  struct tally t;
  tally_init(&t);
  each_line(text, len, &t, summary_line);
  return finish(&t, "strace -c");
}

/* --- MINIX trace --- */

/* "%5d|" or "%5d'" before the call when several processes are traced; -t/-tt time before that. */
static char *minix_prefix(char *line, char pid[24]) {
  snprintf(pid, 24, "0");
  while (*line == ' ')
    line++;
  if (isdigit((unsigned char)line[0]) && line[2] == ':' && line[5] == ':') { /* HH:MM:SS[.usec] */
    line = strchr(line, ' ') ? strchr(line, ' ') : line + strlen(line);
    while (*line == ' ')
      line++;
  }
  char *p = line;
  while (*p == ' ' || isdigit((unsigned char)*p))
    p++;
  if (p != line && (*p == '|' || *p == '\'')) {
    snprintf(pid, 24, "%ld", strtol(line, NULL, 10));
    line = p + 1;
  }
  while (*line == ' ')
    line++;
  return line;
}

static void minix_result(struct tally *t, const char *pid, const char *name, const char *line) {
  const char *eq = last_equals(line);
  const char *br = eq ? strchr(eq, '[') : NULL;
  char err[32] = "";
  if (eq && strncmp(eq + 3, "-1", 2) == 0 && br)
    sscanf(br + 1, "%31[A-Z0-9]", err);
  count_result(t, pid, name, err[0] ? err : NULL, -1);
}

/* "Tracing NAME (pid N)": the first names the main process; NAME*F is a child fresh from fork. */
static void minix_tracing(struct tally *t, const char *line) {
  const char *open = strstr(line, " (pid ");
  if (strncmp(line, "Tracing ", 8) != 0 || !open)
    return;
  long pid = strtol(open + 6, NULL, 10);
  if (!t->main_pid[0])
    snprintf(t->main_pid, sizeof t->main_pid, "%ld", pid);
  if (open - line >= 10 && strncmp(open - 2, "*F", 2) == 0) {
    char key[24];
    snprintf(key, sizeof key, "%ld", pid);
    json_object_set_new(t->fork_children, key, json_true());
  }
}

static void minix_info(struct tally *t, const char *pid, const char *line) {
  minix_tracing(t, line);
  const char *code = strstr(line, "Process exited normally with code ");
  const char *sig = strstr(line, "Process terminated from signal ");
  /* The command's end is its main process's (children may end after it). */
  if ((code || sig) && (!t->main_pid[0] || strcmp(pid, t->main_pid) == 0 || json_is_null(t->exit)))
    set_exit(t, pid, code ? code + 34 : NULL, sig ? sig + 31 : NULL);
}

/* A fork child's first line is its half of fork() (real trace: "fork() = <..>", then "*fork() =
 * 0"). */
static bool fork_child_half(struct tally *t, const char *pid, const char *name) {
  if (!json_object_get(t->fork_children, pid))
    return false;
  json_object_del(t->fork_children, pid);
  return strcmp(name, "fork") == 0;
}

static void minix_line(struct tally *t, char *raw) {
  char pid[24];
  char *line = minix_prefix(raw, pid);
  if (strcmp(pid, "0") == 0 && t->main_pid[0]) /* one process traced: no prefix */
    snprintf(pid, sizeof pid, "%s", t->main_pid);
  if (strncmp(line, "---", 3) == 0 || isupper((unsigned char)line[0])) {
    minix_info(t, pid, line);
    return; /* context switches and info lines */
  }
  if (strncmp(line, "** ", 3) == 0) {
    count_signal(t, line + 3);
    return;
  }
  bool resumed = line[0] == '*';
  if (resumed)
    line += line[1] == ' ' ? 2 : 1;
  size_t n = call_name(line);
  if (!n) {
    unparsed(t, raw);
    return;
  }
  char name[NAME_MAX_LEN];
  copy_name(name, line, n);
  if (!resumed && fork_child_half(t, pid, name))
    return;
  if (!resumed)
    count_call(t, pid, name);
  size_t len = strlen(line);
  bool suspended = len >= 4 && strcmp(line + len - 4, "<..>") == 0;
  if (!suspended)
    minix_result(t, pid, name, line);
}

json_t *syscall_trace_minix(const char *text, size_t len) {
  struct tally t;
  tally_init(&t);
  each_line(text, len, &t, minix_line);
  return finish(&t, "minix trace");
}

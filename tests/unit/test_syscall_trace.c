/* Syscall trace parsers on real strace output captured from the Linux test
 * guest (strace -f -T and strace -c of busybox `ls /`, tests/data/strace-*.trace),
 * on real trace -f output of the real MINIX 3.4 (tests/data/minix-3.4-real-trace-*)
 * and on a *synthetic* MINIX trace -f transcript written from the line shapes
 * of shared/minix/console-reference.md before a real MINIX was available. */
#include <limits.h>
#include <string.h>

#include "lib/syscall_trace.h"
#include "lib/trace_session.h"
#include "test_util.h"

static json_t *row(json_t *table, const char *name) {
  size_t i;
  json_t *r;
  json_array_foreach(json_object_get(table, "syscalls"), i,
                     r) if (strcmp(json_string_value(json_object_get(r, "name")), name) ==
                            0) return r;
  return NULL;
}

static json_int_t calls(json_t *table, const char *name) {
  json_t *r = row(table, name);
  return r ? json_integer_value(json_object_get(r, "calls")) : -1;
}

static json_int_t errors(json_t *table, const char *name) {
  return json_integer_value(json_object_get(row(table, name), "errors"));
}

static json_t *parse_file(const char *name, json_t *(*parse)(const char *, size_t)) {
  size_t len;
  char *text = test_read_data(name, &len);
  assert_non_null(text);
  json_t *t = parse(text, len);
  free(text);
  return t;
}

static void strace_f_of_ls(void **state) {
  (void)state;
  json_t *t = parse_file("strace-linux-ls.trace", syscall_trace_strace);
  assert_int_equal(json_integer_value(json_object_get(t, "unparsed")), 0);
  assert_int_equal(calls(t, "execve"), 1);
  assert_int_equal(calls(t, "openat"), 1);
  assert_int_equal(calls(t, "getdents64"), 2);
  assert_int_equal(calls(t, "write"), 2);
  assert_int_equal(calls(t, "newfstatat"), 15);
  assert_int_equal(calls(t, "exit_group"), 1);
  assert_int_equal(errors(t, "getrandom"), 1);
  assert_int_equal(
      json_integer_value(json_object_get(json_object_get(row(t, "getrandom"), "errnos"), "EAGAIN")),
      1);
  assert_int_equal(json_integer_value(json_object_get(t, "total_calls")), 43);
  assert_int_equal(json_integer_value(json_object_get(t, "total_errors")), 1);
  assert_true(json_is_true(json_object_get(t, "timed")));
  assert_true(json_real_value(json_object_get(row(t, "execve"), "time_s")) > 0.002);
  json_t *exit = json_object_get(t, "exit");
  assert_int_equal(json_integer_value(json_object_get(exit, "code")), 0);
  assert_int_equal(json_integer_value(json_object_get(exit, "pid")), 87);
  /* Sorted by calls: newfstatat (15) first. */
  assert_string_equal(
      json_string_value(json_object_get(json_array_get(json_object_get(t, "syscalls"), 0), "name")),
      "newfstatat");
  json_decref(t);
}

/* The -c table of the same command agrees with counting the -f lines. */
static void strace_c_agrees_with_strace_f(void **state) {
  (void)state;
  json_t *f = parse_file("strace-linux-ls.trace", syscall_trace_strace);
  json_t *c = parse_file("strace-c-linux-ls.trace", syscall_trace_strace_summary);
  assert_int_equal(json_integer_value(json_object_get(c, "unparsed")), 0);
  size_t i;
  json_t *r;
  json_array_foreach(json_object_get(c, "syscalls"), i, r) {
    const char *name = json_string_value(json_object_get(r, "name"));
    assert_int_equal(json_integer_value(json_object_get(r, "calls")), calls(f, name));
  }
  assert_int_equal(json_integer_value(json_object_get(c, "total_calls")),
                   42); /* -c leaves exit_group out */
  assert_int_equal(errors(c, "getrandom"), 1);
  assert_true(json_real_value(json_object_get(row(c, "execve"), "time_s")) > 0.001);
  json_decref(f);
  json_decref(c);
}

static void strace_shapes(void **state) {
  (void)state;
  const char *text =
      "[pid  12] read(3, <unfinished ...>\n"
      "openat(AT_FDCWD, \"/x = y\", O_RDONLY) = -1 ENOENT (No such file or directory) <0.000010>\n"
      "[pid  12] <... read resumed>\"abc\", 3) = 3\n"
      "--- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED} ---\n"
      "strace: Process 12 attached\n"
      "+++ killed by SIGSEGV (core dumped) +++\n";
  json_t *t = syscall_trace_strace(text, strlen(text));
  assert_int_equal(calls(t, "read"), 1); /* counted once, though it spans two lines */
  assert_int_equal(errors(t, "read"), 0);
  assert_int_equal(errors(t, "openat"), 1);
  assert_int_equal(json_integer_value(json_object_get(json_object_get(t, "signals"), "SIGCHLD")),
                   1);
  assert_string_equal(json_string_value(json_object_get(json_object_get(t, "exit"), "signal")),
                      "SIGSEGV");
  assert_int_equal(json_integer_value(json_object_get(t, "unparsed")), 1);
  assert_string_equal(json_string_value(json_array_get(json_object_get(t, "unparsed_examples"), 0)),
                      "strace: Process 12 attached");
  json_decref(t);
}

static void minix_trace_synthetic(void **state) {
  (void)state;
  json_t *t = parse_file("minix-trace-synthetic.trace", syscall_trace_minix);
  assert_int_equal(json_integer_value(json_object_get(t, "unparsed")), 0);
  assert_int_equal(calls(t, "execve"), 3);
  assert_int_equal(calls(t, "fork"), 2);
  assert_int_equal(calls(t, "wait4"), 1); /* suspended, then resumed: one call */
  assert_int_equal(calls(t, "read"), 1);
  assert_int_equal(errors(t, "read"), 1);
  assert_int_equal(calls(t, "exit"), 3);
  assert_int_equal(errors(t, "setuid"), 1);
  assert_int_equal(
      json_integer_value(json_object_get(json_object_get(row(t, "open"), "errnos"), "ENOENT")), 1);
  assert_int_equal(json_integer_value(json_object_get(json_object_get(t, "signals"), "SIGINT")), 1);
  assert_int_equal(json_integer_value(json_object_get(json_object_get(t, "signals"), "SIGCHLD")),
                   1);
  assert_int_equal(json_integer_value(json_object_get(json_object_get(t, "exit"), "code")), 130);
  assert_int_equal(json_array_size(json_object_get(t, "processes")), 3);
  assert_true(json_is_false(json_object_get(t, "timed")));
  assert_true(json_is_null(json_object_get(row(t, "fork"), "time_s")));
  json_decref(t);
}

static json_int_t proc_calls(json_t *table, json_int_t pid) {
  json_t *procs = json_object_get(table, "processes");
  for (size_t i = 0; i < json_array_size(procs); i++) {
    json_t *p = json_array_get(procs, i);
    if (json_integer_value(json_object_get(p, "pid")) == pid)
      return json_integer_value(json_object_get(p, "calls"));
  }
  return -1;
}

/* trace -f of `ls /` on the real MINIX: one process, so no pid prefix on any line. */
static void minix_trace_real_ls(void **state) {
  (void)state;
  json_t *t = parse_file("minix-3.4-real-trace-ls.trace", syscall_trace_minix);
  assert_int_equal(json_integer_value(json_object_get(t, "unparsed")), 0);
  assert_int_equal(json_integer_value(json_object_get(t, "total_calls")), 34);
  assert_int_equal(calls(t, "brk"), 7);
  assert_int_equal(calls(t, "getdents"), 2);
  assert_int_equal(calls(t, "write"), 3);
  assert_int_equal(
      json_integer_value(json_object_get(json_object_get(row(t, "readlink"), "errnos"), "ENOENT")),
      1);
  assert_int_equal(json_integer_value(json_object_get(t, "total_errors")), 1);
  assert_int_equal(json_array_size(json_object_get(t, "processes")), 1);
  assert_int_equal(proc_calls(t, 652), 34); /* the pid of "Tracing ls (pid 652)" */
  json_t *exit = json_object_get(t, "exit");
  assert_int_equal(json_integer_value(json_object_get(exit, "pid")), 652);
  assert_int_equal(json_integer_value(json_object_get(exit, "code")), 0);
  json_decref(t);
}

/* The whole console of a trace session on the real MINIX (sh -c "ls /; cat /nonexistent"): NUL
 * bytes before the shell prompt, the prompt "minix# " inside the echo of the next command; then the
 * trace with prefixes only while several processes live, fork children's own half of fork(), execve
 * without result. */
static void minix_trace_real_session(void **state) {
  (void)state;
  size_t len;
  char *log = test_read_data("minix-3.4-real-trace-sh-session.serial", &len);
  struct trace_result res;
  trace_session_extract(log, len, &res);
  free(log);
  assert_non_null(res.trace);
  assert_int_equal(res.exit_status, 0); /* trace's own status: 0 although cat failed */
  assert_non_null(strstr(res.output, "cat: /nonexistent: No such file or directory"));
  json_t *t = syscall_trace_minix(res.trace, strlen(res.trace));
  trace_result_clear(&res);
  assert_int_equal(json_integer_value(json_object_get(t, "unparsed")), 0);
  assert_int_equal(json_integer_value(json_object_get(t, "total_calls")), 132);
  assert_int_equal(json_integer_value(json_object_get(t, "total_errors")), 12);
  assert_int_equal(calls(t, "fork"), 2); /* the shell's two, not the children's halves */
  assert_int_equal(calls(t, "execve"), 2);
  assert_int_equal(calls(t, "wait4"), 2); /* suspended, then resumed: one call each */
  assert_int_equal(
      json_integer_value(json_object_get(json_object_get(row(t, "open"), "errnos"), "ENOENT")), 3);
  assert_int_equal(json_array_size(json_object_get(t, "processes")), 3);
  assert_int_equal(proc_calls(t, 652), 67);
  assert_int_equal(proc_calls(t, 653), 36);
  assert_int_equal(proc_calls(t, 654), 29);
  assert_int_equal(proc_calls(t, 0), -1);
  json_t *exit = json_object_get(t, "exit");
  assert_int_equal(json_integer_value(json_object_get(exit, "pid")),
                   652); /* the shell's, the last child's too */
  assert_int_equal(json_integer_value(json_object_get(exit, "code")), 1);
  json_decref(t);
}

/* Found by fuzzing (tests/fuzz/corpus/traces/regression-summary-overflow): counts near the integer
 * limit overflowed the total. They saturate now, and an impossible row (errors > calls) is not
 * counted. */
static void summary_counts_saturate(void **state) {
  (void)state;
  const char *text =
      " 1.0 0.1 1 9223372036854775807 0 read\n 1.0 0.1 1 9223372036854775807 0 write\n"
      " 1.0 0.1 1 5 9 close\n";
  json_t *t = syscall_trace_strace_summary(text, strlen(text));
  assert_int_equal(json_integer_value(json_object_get(t, "total_calls")), LLONG_MAX);
  assert_int_equal(calls(t, "close"), -1);
  assert_int_equal(json_integer_value(json_object_get(t, "unparsed")), 1);
  json_decref(t);
  size_t len;
  char *crash = NULL;
  char path[4096];
  snprintf(path, sizeof path, "%s/tests/fuzz/corpus/traces/regression-summary-overflow",
           getenv("MA_SOURCE_ROOT"));
  crash = util_read_file(path, &len);
  assert_non_null(crash);
  json_decref(syscall_trace_strace_summary(crash, len));
  free(crash);
  (void)text;
}

static void renderings(void **state) {
  (void)state;
  json_t *t = parse_file("strace-linux-ls.trace", syscall_trace_strace);
  char *text = syscall_trace_text(t), *csv = syscall_trace_csv(t),
       *svg = syscall_trace_svg(t, "ls <&> trace");
  assert_non_null(strstr(text, "getrandom"));
  assert_non_null(strstr(text, "EAGAIN x1"));
  assert_non_null(strstr(csv, "syscall,calls,errors,share,time_s\nnewfstatat,15,0,"));
  size_t lines = 0;
  for (const char *p = csv; *p; p++)
    lines += *p == '\n';
  assert_int_equal(lines, 1 + json_array_size(json_object_get(t, "syscalls")));
  assert_non_null(strstr(svg, "<title>ls &lt;&amp;&gt; trace</title>"));
  assert_non_null(strstr(svg, "1 (1 failed)"));
  free(text);
  free(csv);
  free(svg);
  json_decref(t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(strace_f_of_ls),      cmocka_unit_test(strace_c_agrees_with_strace_f),
      cmocka_unit_test(strace_shapes),       cmocka_unit_test(minix_trace_synthetic),
      cmocka_unit_test(renderings),          cmocka_unit_test(summary_counts_saturate),
      cmocka_unit_test(minix_trace_real_ls), cmocka_unit_test(minix_trace_real_session),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Detector: split reads, CR/LF, ANSI escapes, NUL bytes, prompts, failures. */
#include <string.h>

#include "lib/detector.h"
#include "test_util.h"

#define MAX_EVENTS 64

struct recorder {
  int n;
  struct {
    enum detector_event_kind kind;
    char name[32];
    int64_t t_us;
    char text[128];
    bool terminal;
  } ev[MAX_EVENTS];
};

static void record(void *userdata, const struct detector_event *ev) {
  struct recorder *r = userdata;
  assert_true(r->n < MAX_EVENTS);
  r->ev[r->n].kind = ev->kind;
  snprintf(r->ev[r->n].name, sizeof r->ev[r->n].name, "%s", ev->name ? ev->name : "");
  r->ev[r->n].t_us = ev->t_us;
  snprintf(r->ev[r->n].text, sizeof r->ev[r->n].text, "%s", ev->text);
  r->ev[r->n].terminal = ev->terminal;
  r->n++;
}

static const char *PROFILE =
    "{\"name\":\"t\",\"markers\":["
    "{\"name\":\"banner\",\"pattern\":\"^Kernel \\\\d+\",\"required\":true},"
    "{\"name\":\"optional\",\"pattern\":\"optional thing\"},"
    "{\"name\":\"prompt\",\"pattern\":\"login: $\",\"required\":true,\"prompt\":true}],"
    "\"terminal\":\"prompt\","
    "\"failures\":[{\"name\":\"panic\",\"pattern\":\"panic:\"}],"
    "\"cpus_online\":{\"pattern\":\"(\\\\d+) CPUs up\",\"mode\":\"value\"}}";

struct fixture {
  struct profile *p;
  struct detector *d;
  struct recorder rec;
};

static int setup(void **state) {
  struct fixture *f = calloc(1, sizeof *f);
  char *err = NULL;
  assert_int_equal(profile_parse(PROFILE, strlen(PROFILE), &f->p, &err), 0);
  f->d = detector_new(f->p, NULL, record, &f->rec, &err);
  assert_non_null(f->d);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  struct fixture *f = *state;
  detector_free(f->d);
  profile_free(f->p);
  free(f);
  return 0;
}

static const char *marker_name(struct recorder *r, int i) {
  int seen = 0;
  for (int k = 0; k < r->n; k++)
    if (r->ev[k].kind == DETECTOR_MARKER && seen++ == i)
      return r->ev[k].name;
  return NULL;
}

static int64_t marker_time(struct recorder *r, const char *name) {
  for (int k = 0; k < r->n; k++)
    if (r->ev[k].kind == DETECTOR_MARKER && strcmp(r->ev[k].name, name) == 0)
      return r->ev[k].t_us;
  return -1;
}

static void line_split_across_reads(void **state) {
  struct fixture *f = *state;
  detector_feed(f->d, "Ker", 3, 100);
  detector_feed(f->d, "nel 3", 5, 200);
  assert_int_equal(marker_time(&f->rec, "banner"), -1); /* no newline yet */
  detector_feed(f->d, ".4\r\n", 4, 300);
  assert_int_equal(marker_time(&f->rec, "banner"), 300);
  assert_int_equal(f->rec.ev[0].kind, DETECTOR_LINE);
  assert_string_equal(f->rec.ev[0].text, "Kernel 3.4");
}

static void ansi_nul_and_cr_are_removed(void **state) {
  struct fixture *f = *state;
  const char input[] = "\x1b[1;32mKer\0nel\x1b[0m 7\r\r\n\x1b]0;title\x07optional thing\n";
  detector_feed(f->d, input, sizeof input - 1, 10);
  assert_string_equal(f->rec.ev[0].text, "Kernel 7");
  assert_string_equal(marker_name(&f->rec, 0), "banner");
  assert_string_equal(marker_name(&f->rec, 1), "optional");
}

static void escape_split_across_reads(void **state) {
  struct fixture *f = *state;
  detector_feed(f->d, "\x1b", 1, 1);
  detector_feed(f->d, "[3", 2, 2);
  detector_feed(f->d, "1mKernel 1\n", 11, 3);
  assert_string_equal(f->rec.ev[0].text, "Kernel 1");
}

static void prompt_matches_without_newline(void **state) {
  struct fixture *f = *state;
  detector_feed(f->d, "Kernel 1\nlog", 12, 50);
  detector_feed(f->d, "in: ", 4, 75);
  assert_int_equal(marker_time(&f->rec, "prompt"), 75);
  assert_true(detector_done(f->d));
  json_t *missing = detector_missing(f->d);
  assert_int_equal(json_array_size(missing), 0);
  json_decref(missing);
}

static void markers_fire_once_and_stop_after_terminal(void **state) {
  struct fixture *f = *state;
  detector_feed(f->d, "Kernel 1\nKernel 2\nlogin: ", 25, 10);
  detector_feed(f->d, "\noptional thing\n", 16, 20);
  int markers = 0;
  for (int k = 0; k < f->rec.n; k++)
    markers += f->rec.ev[k].kind == DETECTOR_MARKER;
  assert_int_equal(markers, 2);
  assert_true(f->rec.ev[f->rec.n - 1].kind == DETECTOR_LINE); /* still logged */
}

static void failure_pattern_ends_detection(void **state) {
  struct fixture *f = *state;
  detector_feed(f->d, "Kernel 1\nkernel panic: oops\nlogin: \n", 36, 5);
  int failures = 0;
  for (int k = 0; k < f->rec.n; k++)
    failures += f->rec.ev[k].kind == DETECTOR_FAILURE;
  assert_int_equal(failures, 1);
  assert_false(detector_done(f->d));
  json_t *missing = detector_missing(f->d);
  assert_int_equal(json_array_size(missing), 1);
  assert_string_equal(json_string_value(json_array_get(missing, 0)), "prompt");
  json_decref(missing);
}

static void cpus_value(void **state) {
  struct fixture *f = *state;
  assert_int_equal(detector_cpus_online(f->d), -1);
  detector_feed(f->d, "smp: 4 CPUs up\n", 15, 5);
  assert_int_equal(detector_cpus_online(f->d), 4);
}

static void flush_completes_last_line(void **state) {
  struct fixture *f = *state;
  detector_feed(f->d, "Kernel 9", 8, 5);
  detector_flush(f->d, 9);
  assert_int_equal(marker_time(&f->rec, "banner"), 9);
}

static void overlong_line_is_broken(void **state) {
  struct fixture *f = *state;
  char *big = malloc(DETECTOR_LINE_MAX * 2);
  memset(big, 'x', DETECTOR_LINE_MAX * 2);
  detector_feed(f->d, big, DETECTOR_LINE_MAX * 2, 1);
  free(big);
  assert_int_equal(f->rec.n, 2);
}

static void until_replaces_terminal(void **state) {
  struct fixture *f = *state;
  struct recorder rec = {0};
  char *err = NULL;
  struct detector *d = detector_new(f->p, "optional", record, &rec, &err);
  assert_non_null(d);
  detector_feed(d, "login: \noptional thing\n", 23, 7);
  assert_true(detector_done(d));
  assert_string_equal(rec.ev[rec.n - 1].name, DETECTOR_UNTIL_NAME);
  assert_true(rec.ev[rec.n - 1].terminal);
  detector_free(d);
  assert_null(detector_new(f->p, "([bad", record, &rec, &err));
  assert_non_null(err);
  free(err);
}

/* A detector on a profile of the test's own (JSON text); close_own frees both. */
static struct detector *open_own(const char *profile_json, struct profile **p, struct recorder *rec) {
  char *err = NULL;
  assert_int_equal(profile_parse(profile_json, strlen(profile_json), p, &err), 0);
  struct detector *d = detector_new(*p, NULL, record, rec, &err);
  assert_non_null(d);
  return d;
}

static void close_own(struct detector *d, struct profile *p) {
  detector_free(d);
  profile_free(p);
}

static void count_mode_and_when_absent(void **state) {
  (void)state;
  const char *text = "{\"name\":\"c\",\"markers\":[{\"name\":\"end\",\"pattern\":\"end\"}],\"terminal\":\"end\","
                     "\"cpus_online\":{\"pattern\":\"CPU \\\\d+ is up\",\"mode\":\"count\",\"when_absent\":1}}";
  struct profile *p;
  struct recorder rec = {0};
  struct detector *d = open_own(text, &p, &rec);
  assert_int_equal(detector_cpus_online(d), -1); /* absent means nothing before the boot completes */
  detector_feed(d, "end\n", 4, 1);
  assert_int_equal(detector_cpus_online(d), 1);
  detector_free(d);
  char *err = NULL;
  d = detector_new(p, NULL, record, &rec, &err);
  detector_feed(d, "CPU 1 is up\nCPU 2 is up\nend\n", 28, 1);
  assert_int_equal(detector_cpus_online(d), 2);
  close_own(d, p);
}

/* A pattern that refers to a group by number cannot join the one-pass
 * prefilter; it must still match. */
static void backreferences_still_match(void **state) {
  (void)state;
  const char *text = "{\"name\":\"b\",\"markers\":[{\"name\":\"twice\",\"pattern\":\"(ab)\\\\1\"},"
                     "{\"name\":\"end\",\"pattern\":\"end\"}],\"terminal\":\"end\"}";
  struct profile *p;
  struct recorder rec = {0};
  struct detector *d = open_own(text, &p, &rec);
  detector_feed(d, "xx abab yy\nend\n", 15, 3);
  assert_int_equal(marker_time(&rec, "twice"), 3);
  assert_true(detector_done(d));
  close_own(d, p);
}

/* The lines of one read are searched as one block: a match that spans a newline there (\\s does)
 * is not a match of either line, and the lines after it are still judged, in order. */
static void a_block_match_across_lines_is_not_a_line_match(void **state) {
  (void)state;
  const char *text = "{\"name\":\"s\",\"markers\":[{\"name\":\"up\",\"pattern\":\"CPU\\\\s+\\\\d+ is up\"},"
                     "{\"name\":\"end\",\"pattern\":\"^end$\"}],\"terminal\":\"end\","
                     "\"failures\":[{\"name\":\"late\",\"pattern\":\"panic\"}]}";
  struct profile *p;
  struct recorder rec = {0};
  struct detector *d = open_own(text, &p, &rec);
  const char *read = "CPU\n3 is up\nsome CPU  7 is up\nend\npanic after the end\n";
  detector_feed(d, read, strlen(read), 5);
  assert_string_equal(marker_name(&rec, 0), "up");
  assert_string_equal(marker_name(&rec, 1), "end");
  assert_null(marker_name(&rec, 2));
  for (int k = 0; k < rec.n; k++) {
    if (rec.ev[k].kind == DETECTOR_MARKER && strcmp(rec.ev[k].name, "up") == 0)
      assert_string_equal(rec.ev[k].text, "some CPU  7 is up"); /* its own line, not the block */
    assert_true(rec.ev[k].kind != DETECTOR_FAILURE); /* after the terminal marker: only logged */
  }
  assert_true(detector_done(d));
  close_own(d, p);
}

/* A lookahead at a line's end would see the next line inside a block: such a profile is judged
 * line by line, with the same result as alone. */
static void lookarounds_are_judged_line_by_line(void **state) {
  (void)state;
  const char *text = "{\"name\":\"l\",\"markers\":[{\"name\":\"bare\",\"pattern\":\"ready(?!\\\\s)\"},"
                     "{\"name\":\"end\",\"pattern\":\"end\"}],\"terminal\":\"end\"}";
  struct profile *p;
  struct recorder rec = {0};
  struct detector *d = open_own(text, &p, &rec);
  detector_feed(d, "ready\nend\n", 10, 2);
  assert_int_equal(marker_time(&rec, "bare"), 2);
  assert_true(detector_done(d));
  close_own(d, p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(line_split_across_reads, setup, teardown),
      cmocka_unit_test_setup_teardown(ansi_nul_and_cr_are_removed, setup, teardown),
      cmocka_unit_test_setup_teardown(escape_split_across_reads, setup, teardown),
      cmocka_unit_test_setup_teardown(prompt_matches_without_newline, setup, teardown),
      cmocka_unit_test_setup_teardown(markers_fire_once_and_stop_after_terminal, setup, teardown),
      cmocka_unit_test_setup_teardown(failure_pattern_ends_detection, setup, teardown),
      cmocka_unit_test_setup_teardown(cpus_value, setup, teardown),
      cmocka_unit_test_setup_teardown(flush_completes_last_line, setup, teardown),
      cmocka_unit_test_setup_teardown(overlong_line_is_broken, setup, teardown),
      cmocka_unit_test_setup_teardown(until_replaces_terminal, setup, teardown),
      cmocka_unit_test(count_mode_and_when_absent),
      cmocka_unit_test(backreferences_still_match),
      cmocka_unit_test(a_block_match_across_lines_is_not_a_line_match),
      cmocka_unit_test(lookarounds_are_judged_line_by_line),
  };
  return cmocka_run_group_tests_name("detector", tests, NULL, NULL);
}

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
    int64_t offset;
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
  r->ev[r->n].offset = ev->offset;
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

static int64_t marker_offset(struct recorder *r, const char *name) {
  for (int k = 0; k < r->n; k++)
    if (r->ev[k].kind == DETECTOR_MARKER && strcmp(r->ev[k].name, name) == 0)
      return r->ev[k].offset;
  return -1;
}

/* The virtual clock looks a marker's count up by its offset: the byte that completed it. In one
 * read with several lines (the block search), after escapes and NULs, and for a prompt. */
static void a_marker_carries_the_offset_of_its_last_byte(void **state) {
  struct fixture *f = *state;
  const char *a = "boot\r\n\x1b[1mKernel 7\x1b[0m\r\nx\0y\noptional thing\nmore\n";
  size_t alen = 4 + 2 + 4 + 8 + 4 + 2 + 4 + 15 + 5; /* "x\0y\n" holds a NUL */
  detector_feed(f->d, a, alen, 10);
  const char *kernel_nl = strstr(a, "[0m\r\n") + 4;
  assert_int_equal(marker_offset(&f->rec, "banner"), kernel_nl - a + 1);
  assert_int_equal(marker_offset(&f->rec, "optional"), (int64_t)alen - 5);
  detector_feed(f->d, "log", 3, 20);
  detector_feed(f->d, "in: \x1b[0m\0", 9, 30); /* an escape and a NUL after the prompt's text */
  assert_int_equal(marker_offset(&f->rec, "prompt"), (int64_t)alen + 7);
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
static struct detector *open_own(const char *profile_json, struct profile **p,
                                 struct recorder *rec) {
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
  const char *text =
      "{\"name\":\"c\",\"markers\":[{\"name\":\"end\",\"pattern\":\"end\"}],\"terminal\":\"end\","
      "\"cpus_online\":{\"pattern\":\"CPU \\\\d+ is up\",\"mode\":\"count\",\"when_absent\":1}}";
  struct profile *p;
  struct recorder rec = {0};
  struct detector *d = open_own(text, &p, &rec);
  assert_int_equal(detector_cpus_online(d),
                   -1); /* absent means nothing before the boot completes */
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
  const char *text =
      "{\"name\":\"s\",\"markers\":[{\"name\":\"up\",\"pattern\":\"CPU\\\\s+\\\\d+ is up\"},"
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
  const char *text =
      "{\"name\":\"l\",\"markers\":[{\"name\":\"bare\",\"pattern\":\"ready(?!\\\\s)\"},"
      "{\"name\":\"end\",\"pattern\":\"end\"}],\"terminal\":\"end\"}";
  struct profile *p;
  struct recorder rec = {0};
  struct detector *d = open_own(text, &p, &rec);
  detector_feed(d, "ready\nend\n", 10, 2);
  assert_int_equal(marker_time(&rec, "bare"), 2);
  assert_true(detector_done(d));
  close_own(d, p);
}

/* Issue 13, finding 6: a user's until that backtracks without end, on a guest's console. */
#define PATHOLOGICAL "^(.+)+[XY]$"
/* Far above what the limits cost per read (a few ms), far below what PCRE2's default did (about
 * 1 s for the 50 lines of one read, 23 ms each): generous, so that a loaded machine passes. */
#define READ_BOUND_US 250000

struct marks {
  size_t lines;
  int n;
  char name[8][32];
  int64_t t_us[8];
};

static void mark(void *userdata, const struct detector_event *ev) {
  struct marks *m = userdata;
  if (ev->kind == DETECTOR_LINE) {
    m->lines++;
  } else if (m->n < 8) {
    snprintf(m->name[m->n], sizeof m->name[m->n], "%s", ev->name);
    m->t_us[m->n++] = ev->t_us;
  }
}

static struct detector *pathological(struct profile **p, struct marks *m) {
  char *err = NULL;
  assert_int_equal(profile_parse(PROFILE, strlen(PROFILE), p, &err), 0);
  struct detector *d = detector_new(*p, PATHOLOGICAL, mark, m, &err);
  assert_non_null(d);
  return d;
}

/* Lines of n 'a's, as many as fit in size bytes (NUL-terminated). */
static size_t flood(char *buf, size_t size, size_t n) {
  size_t len = 0;
  while (len + n + 2 <= size) {
    memset(buf + len, 'a', n);
    buf[len + n] = '\n';
    len += n + 1;
  }
  buf[len] = '\0';
  return len;
}

/* A read is stamped when it arrives, before anything is matched: however long its lines take to
 * judge, a marker found in it carries the read's stamp. The until pattern gives up on the long
 * lines at the match limit, which counts as no match, and the markers after them in the same read
 * (the block search gave up there) are still found, in order. */
static void a_marker_carries_the_stamp_of_its_read(void **state) {
  (void)state;
  struct profile *p;
  struct marks m = {0};
  struct detector *d = pathological(&p, &m);
  static char read[90000];
  size_t len = flood(read, 20 * 4001 + 2, 4000);
  len += (size_t)snprintf(read + len, sizeof read - len, "Kernel 5\naaaX\n");
  int64_t stamp = util_mono_us();
  detector_feed(d, read, len, stamp);
  int64_t took = util_mono_us() - stamp;
  assert_int_equal(m.n, 2);
  assert_string_equal(m.name[0], "banner");
  assert_string_equal(m.name[1], DETECTOR_UNTIL_NAME);
  assert_true(m.t_us[0] == stamp && m.t_us[1] == stamp); /* not stamp + took */
  assert_true(detector_done(d));
  assert_true(detector_gave_up(d) >= 20);
  assert_int_equal(m.lines, 22);
  print_message("20 lines of 4,000 bytes with %s: %lld us, %llu matches gave up\n", PATHOLOGICAL,
                (long long)took, (unsigned long long)detector_gave_up(d));
  close_own(d, p);
}

/* A flooding console under that until: each read costs little, and a marker after the flood is
 * still found with its read's stamp. */
static void a_pathological_until_costs_little_per_read(void **state) {
  (void)state;
  struct profile *p;
  struct marks m = {0};
  struct detector *d = pathological(&p, &m);
  static char read[4096], line[DETECTOR_LINE_MAX + 2];
  size_t len = flood(read, sizeof read, 80),
         line_len = flood(line, sizeof line, DETECTOR_LINE_MAX - 1);
  int64_t worst = 0;
  for (int i = 0; i < 40; i++) {
    int64_t t0 = util_mono_us();
    detector_feed(d, i % 2 ? read : line, i % 2 ? len : line_len, i);
    int64_t took = util_mono_us() - t0;
    if (took > READ_BOUND_US)
      fail_msg("read %d took %lld us", i, (long long)took);
    worst = took > worst ? took : worst;
  }
  assert_true(detector_gave_up(d) >= 20 * 50 + 20);
  assert_int_equal(m.n, 0);
  detector_feed(d, "Kernel 7\n", 9, 1000);
  assert_int_equal(m.n, 1);
  assert_true(m.t_us[0] == 1000);
  print_message("worst read under %s: %lld us (50 lines of 80 bytes, or one of %d)\n", PATHOLOGICAL,
                (long long)worst, DETECTOR_LINE_MAX - 1);
  close_own(d, p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(line_split_across_reads, setup, teardown),
      cmocka_unit_test_setup_teardown(a_marker_carries_the_offset_of_its_last_byte, setup,
                                      teardown),
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
      cmocka_unit_test(a_marker_carries_the_stamp_of_its_read),
      cmocka_unit_test(a_pathological_until_costs_little_per_read),
  };
  return cmocka_run_group_tests_name("detector", tests, NULL, NULL);
}

/* Every shipped profile against transcripts: real ones from the Linux test
 * guest, a synthetic one for MINIX (see tests/data/README.md). */
#include <string.h>

#include "lib/detector.h"
#include "test_util.h"

struct seen {
  char names[32][32];
  int n;
  bool failed, terminal;
};

static void on_event(void *userdata, const struct detector_event *ev) {
  struct seen *s = userdata;
  if (ev->kind == DETECTOR_FAILURE)
    s->failed = true;
  if (ev->kind != DETECTOR_MARKER)
    return;
  snprintf(s->names[s->n++], sizeof s->names[0], "%s", ev->name);
  s->terminal |= ev->terminal;
}

/* Feeds a transcript in reads of `chunk` bytes (0: all at once). */
static struct detector *run(const struct profile *p, const char *file, size_t chunk, struct seen *s) {
  size_t len;
  char *text = test_read_data(file, &len);
  char *err = NULL;
  struct detector *d = detector_new(p, NULL, on_event, s, &err);
  assert_non_null(d);
  size_t step = chunk ? chunk : len;
  for (size_t off = 0; off < len; off += step)
    detector_feed(d, text + off, off + step > len ? len - off : step, (int64_t)off);
  free(text);
  return d;
}

static const struct profile *find(struct profile_set *set, const char *name) {
  const struct profile *p = profile_set_find(set, name);
  assert_non_null(p);
  return p;
}

static void assert_order(struct seen *s, const char *const *expected, int n) {
  assert_int_equal(s->n, n);
  for (int i = 0; i < n; i++)
    assert_string_equal(s->names[i], expected[i]);
}

static void linux_real_boot(void **state) {
  const char *expected[] = {"kernel_starts", "cpus_up", "init_started", "shell_prompt"};
  size_t chunks[] = {0, 1, 7, 512};
  for (size_t c = 0; c < 4; c++) {
    struct seen s = {0};
    struct detector *d = run(find(*state, "linux"), "linux-6.1-cloud-2cpu.serial", chunks[c], &s);
    assert_order(&s, expected, 4);
    assert_true(s.terminal);
    assert_false(s.failed);
    assert_int_equal(detector_cpus_online(d), 2);
    detector_free(d);
  }
}

static void linux_real_panic(void **state) {
  struct seen s = {0};
  struct detector *d = run(find(*state, "linux"), "linux-6.1-cloud-panic.serial", 64, &s);
  assert_true(s.failed);
  assert_false(s.terminal);
  json_t *missing = detector_missing(d);
  assert_int_equal(json_array_size(missing), 2); /* init_started, shell_prompt */
  json_decref(missing);
  detector_free(d);
}

static void minix_synthetic_boot(void **state) {
  const char *expected[] = {"kernel_starts",    "copyright",        "vfs_started",     "root_device",
                            "multiuser_startup", "services_started", "daemons_started", "login_banner",
                            "shell_prompt"};
  struct seen s = {0};
  const struct profile *p = find(*state, "minix-3.4");
  struct detector *d = run(p, "minix-3.4-synthetic.serial", 3, &s);
  assert_order(&s, expected, 9);
  assert_true(s.terminal);
  /* No SMP line: the stock kernel is uniprocessor. */
  assert_int_equal(detector_cpus_online(d), 1);
  assert_int_equal(p->n_unobservable, 8);
  detector_free(d);
}

/* A login prompt is a login prompt, but no MINIX banner appears in a Linux boot. */
static void minix_markers_absent_from_linux(void **state) {
  struct seen s = {0};
  struct detector *d = run(find(*state, "minix-3.4"), "linux-6.1-cloud-2cpu.serial", 0, &s);
  json_t *missing = detector_missing(d);
  assert_string_equal(json_string_value(json_array_get(missing, 0)), "kernel_starts");
  assert_string_equal(json_string_value(json_array_get(missing, 1)), "multiuser_startup");
  assert_int_equal(json_array_size(missing), 2);
  json_decref(missing);
  detector_free(d);
}

static void broken_profiles_are_refused(void **state) {
  (void)state;
  const char *bad[] = {
      "not json",
      "{\"name\":\"x\",\"markers\":[],\"terminal\":\"a\"}",
      "{\"name\":\"x\",\"markers\":[{\"name\":\"a\",\"pattern\":\"(\"}],\"terminal\":\"a\"}",
      "{\"name\":\"x\",\"markers\":[{\"name\":\"a\",\"pattern\":\"a\"}],\"terminal\":\"b\"}",
      "{\"markers\":[{\"name\":\"a\",\"pattern\":\"a\"}],\"terminal\":\"a\"}",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    struct profile *p = NULL;
    char *err = NULL;
    assert_int_equal(profile_parse(bad[i], strlen(bad[i]), &p, &err), -22);
    assert_non_null(err);
    assert_null(p);
    free(err);
  }
}

static int setup(void **state) {
  char *err = NULL;
  *state = profile_set_new(&err);
  assert_non_null(*state);
  return 0;
}

static int teardown(void **state) {
  profile_set_free(*state);
  return 0;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(linux_real_boot),         cmocka_unit_test(linux_real_panic),
      cmocka_unit_test(minix_synthetic_boot),    cmocka_unit_test(minix_markers_absent_from_linux),
      cmocka_unit_test(broken_profiles_are_refused),
  };
  return cmocka_run_group_tests_name("profiles", tests, setup, teardown);
}

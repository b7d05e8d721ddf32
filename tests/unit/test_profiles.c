/* Every shipped profile against transcripts: real ones from the Linux test
 * guest and from a real MINIX 3.4 built from the official sources, a synthetic
 * one for MINIX (see tests/data/README.md). */
#include <string.h>

#include "lib/detector.h"
#include "test_util.h"

struct seen {
  char names[32][32];
  int64_t t_us[32];
  int n;
  bool failed, terminal;
};

static void on_event(void *userdata, const struct detector_event *ev) {
  struct seen *s = userdata;
  if (ev->kind == DETECTOR_FAILURE)
    s->failed = true;
  if (ev->kind != DETECTOR_MARKER)
    return;
  s->t_us[s->n] = ev->t_us;
  snprintf(s->names[s->n++], sizeof s->names[0], "%s", ev->name);
  s->terminal |= ev->terminal;
}

/* Feeds a transcript in reads of `chunk` bytes (0: all at once). */
static struct detector *run(const struct profile *p, const char *file, size_t chunk,
                            struct seen *s) {
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
  const char *expected[] = {"kernel_starts",     "copyright",       "vfs_started",
                            "boot_cd_search",    "root_device",     "ramdisks_created",
                            "multiuser_startup", "hotplug_started", "services_started",
                            "daemons_started",   "login_banner",    "shell_prompt"};
  struct seen s = {0};
  const struct profile *p = find(*state, "minix-3.4");
  struct detector *d = run(p, "minix-3.4-synthetic.serial", 3, &s);
  assert_order(&s, expected, 12);
  assert_true(s.terminal);
  /* No SMP line: the stock kernel is uniprocessor. */
  assert_int_equal(detector_cpus_online(d), 1);
  assert_int_equal(p->n_unobservable, 8);
  detector_free(d);
}

/* Every marker of the profile, in the profile's order: real MINIX prints each of them on a CD boot.
 */
static const char *const minix_real_order[] = {
    "kernel_starts",   "copyright",        "vfs_started",      "boot_cd_search",
    "root_device",     "root_mounted",     "ramdisks_created", "multiuser_startup",
    "hotplug_started", "services_started", "daemons_started",  "network_started",
    "syslogd_started", "inetd_started",    "login_banner",     "shell_prompt"};
#define N_MINIX_REAL (sizeof minix_real_order / sizeof minix_real_order[0])

/* The raw console of a real MINIX CD boot as the daemon stored it (CR LF, "\r\r\n" before login).
 */
static void minix_real_serial(void **state) {
  const struct profile *p = find(*state, "minix-3.4");
  assert_int_equal(p->n_markers, N_MINIX_REAL);
  assert_true(p->vga); /* without a VGA adapter the real MINIX prints nothing on COM1 */
  assert_false(find(*state, "linux")->vga);
  size_t chunks[] = {0, 1, 5, 64};
  for (size_t c = 0; c < 4; c++) {
    struct seen s = {0};
    struct detector *d = run(p, "minix-3.4-real-cd-tcg.serial", chunks[c], &s);
    assert_order(&s, minix_real_order, N_MINIX_REAL);
    assert_true(s.terminal);
    assert_false(s.failed);
    json_t *missing = detector_missing(d);
    assert_int_equal(json_array_size(missing), 0);
    json_decref(missing);
    assert_int_equal(detector_cpus_online(d), 1); /* no SMP line: the kernel has no SMP code */
    detector_free(d);
  }
}

/* A disk installed by the real setup, booted through its own boot loader (the verification boot of
 * an install): the same markers but the two the live CD alone prints, the root on the disk. */
static void minix_real_disk_boot(void **state) {
  const char *expected[] = {"kernel_starts",   "copyright",        "vfs_started",
                            "root_device",     "root_mounted",     "multiuser_startup",
                            "hotplug_started", "services_started", "daemons_started",
                            "network_started", "syslogd_started",  "inetd_started",
                            "login_banner",    "shell_prompt"};
  struct seen s = {0};
  struct detector *d =
      run(find(*state, "minix-3.4"), "minix-3.4-real-disk-bios-tcg.serial", 16, &s);
  assert_order(&s, expected, 14);
  json_t *missing = detector_missing(d);
  assert_int_equal(json_array_size(missing), 0);
  json_decref(missing);
  detector_free(d);
}

/* Feeds a shared transcript ("%9.3f  line" per console line, seconds since QEMU started): each
 * line at its own stamp, the last ("login: ") without a newline, as it arrived. */
static struct detector *run_stamped(const struct profile *p, const char *file, struct seen *s) {
  size_t len;
  char *text = test_read_data(file, &len);
  char *err = NULL;
  struct detector *d = detector_new(p, NULL, on_event, s, &err);
  assert_non_null(d);
  for (char *line = text, *next; line && *line; line = next) {
    next = strchr(line, '\n');
    if (next)
      *next++ = '\0';
    char *body = NULL;
    double t = strtod(line, &body);
    assert_true(body > line && strncmp(body, "  ", 2) == 0);
    body += 2;
    detector_feed(d, body, strlen(body), (int64_t)(t * 1e6));
    if (next && *next)
      detector_feed(d, "\r\n", 2, (int64_t)(t * 1e6));
  }
  free(text);
  return d;
}

/* The transcripts in shared/minix/real/transcripts, captured with 1 and 4 vCPUs: the same
 * markers at the moments MINIX printed them. */
static void minix_real_transcripts(void **state) {
  const struct profile *p = find(*state, "minix-3.4");
  const char *files[] = {"minix-3.4-real-cd-tcg-smp1.txt", "minix-3.4-real-cd-tcg-smp4.txt"};
  const int64_t banner_us[] = {369000, 233000}, login_us[] = {23082000, 26348000};
  for (size_t f = 0; f < 2; f++) {
    struct seen s = {0};
    struct detector *d = run_stamped(p, files[f], &s);
    assert_order(&s, minix_real_order, N_MINIX_REAL);
    assert_int_equal(s.t_us[0], banner_us[f]);
    assert_int_equal(s.t_us[N_MINIX_REAL - 1], login_us[f]);
    for (size_t i = 1; i < N_MINIX_REAL; i++)
      assert_true(s.t_us[i] >= s.t_us[i - 1]);
    assert_int_equal(detector_cpus_online(d), 1); /* even with -smp 4 */
    detector_free(d);
  }
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
      cmocka_unit_test(linux_real_boot),      cmocka_unit_test(linux_real_panic),
      cmocka_unit_test(minix_synthetic_boot), cmocka_unit_test(minix_markers_absent_from_linux),
      cmocka_unit_test(minix_real_serial),    cmocka_unit_test(minix_real_transcripts),
      cmocka_unit_test(minix_real_disk_boot), cmocka_unit_test(broken_profiles_are_refused),
  };
  return cmocka_run_group_tests_name("profiles", tests, setup, teardown);
}

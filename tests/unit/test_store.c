/* Store: migration from empty, round trips, listing, crash recovery. */
#include <errno.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/embedded.h"
#include "lib/store.h"
#include "test_util.h"

struct fixture {
  char dir[64];
  char path[96];
  struct store *s;
};

static int setup(void **state) {
  struct fixture *f = calloc(1, sizeof *f);
  snprintf(f->dir, sizeof f->dir, "/tmp/ma-store-XXXXXX");
  assert_non_null(mkdtemp(f->dir));
  snprintf(f->path, sizeof f->path, "%s/test.db", f->dir);
  char *err = NULL;
  assert_int_equal(store_open(f->path, &f->s, &err), 0);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  struct fixture *f = *state;
  store_close(f->s);
  char *cmd = util_strdupf("rm -rf %s", f->dir);
  assert_int_equal(system(cmd), 0);
  free(cmd);
  free(f);
  return 0;
}

static void make_run(struct run *r, const char *id, const char *status) {
  run_init(r);
  snprintf(r->id, sizeof r->id, "%s", id);
  r->status = strdup(status);
  r->arch = strdup("i386");
  r->cpus = 2;
  r->memory_mb = 128;
  r->accel_requested = strdup("auto");
  r->profile = strdup("minix-3.4");
  r->spec_json = strdup("{\"cpus\":2}");
  r->created_us = 1700000000000000;
}

static int migration_count(void) {
  int n = 0;
  while (embedded_migrations[n].name)
    n++;
  return n;
}

static void migrates_from_empty(void **state) {
  struct fixture *f = *state;
  assert_true(migration_count() >= 2);
  assert_int_equal(store_schema_version(f->s), migration_count());
  /* Reopening applies nothing twice. */
  store_close(f->s);
  char *err = NULL;
  assert_int_equal(store_open(f->path, &f->s, &err), 0);
  assert_int_equal(store_schema_version(f->s), migration_count());
}

static void run_round_trip(void **state) {
  struct fixture *f = *state;
  struct run r, got;
  make_run(&r, "00000000000000aa", "queued");
  assert_int_equal(store_run_insert(f->s, &r), 0);
  assert_int_equal(store_run_insert(f->s, &r), -17); /* -EEXIST: ids are unique */
  run_add_marker(&r, "kernel_starts", 1234, "serial", "MINIX 3.4.0.");
  run_add_marker(&r, "shell_prompt", 98765, "serial", "login: ");
  for (size_t i = 0; i < r.n_markers; i++)
    assert_int_equal(store_marker_insert(f->s, r.id, i, &r.markers[i]), 0);
  run_set_str(&r.status, "succeeded");
  run_set_str(&r.accel, "tcg");
  r.boot_time_us = 98765;
  r.qemu_start_us = 25000;
  r.guest_cpus_online = 1;
  r.exit_code = 0;
  r.missing = json_pack("[s]", "multiuser_startup");
  assert_int_equal(store_run_update(f->s, &r), 0);

  assert_int_equal(store_run_get(f->s, r.id, &got), 0);
  assert_string_equal(got.status, "succeeded");
  assert_string_equal(got.accel, "tcg");
  assert_int_equal(got.boot_time_us, 98765);
  assert_int_equal(got.guest_cpus_online, 1);
  assert_int_equal(got.exit_signal, RUN_NULL);
  assert_int_equal(got.n_markers, 2);
  assert_string_equal(got.markers[0].name, "kernel_starts");
  assert_int_equal(got.markers[1].t_us, 98765); /* microseconds survive */
  assert_string_equal(json_string_value(json_array_get(got.missing, 0)), "multiuser_startup");
  json_t *j = run_to_json(&got, NULL);
  assert_true(json_real_value(json_object_get(j, "boot_time_ms")) == 98.765);
  assert_true(json_is_null(json_object_get(j, "error")));
  json_decref(j);
  run_clear(&got);
  run_clear(&r);
  assert_int_equal(store_run_get(f->s, "ffffffffffffffff", &got), -2);
  run_clear(&got);
}

static void list_pages_newest_first(void **state) {
  struct fixture *f = *state;
  char id[17];
  for (int i = 0; i < 5; i++) {
    struct run r;
    snprintf(id, sizeof id, "%016d", i);
    make_run(&r, id, i % 2 ? "failed" : "succeeded");
    assert_int_equal(store_run_insert(f->s, &r), 0);
    run_clear(&r);
  }
  json_t *page;
  int64_t next;
  assert_int_equal(store_runs_list(f->s, 2, 0, NULL, &page, &next), 0);
  assert_int_equal(json_array_size(page), 2);
  assert_string_equal(json_string_value(json_object_get(json_array_get(page, 0), "id")), "0000000000000004");
  assert_null(json_object_get(json_array_get(page, 0), "markers"));
  assert_true(next > 0);
  json_decref(page);
  assert_int_equal(store_runs_list(f->s, 10, next, NULL, &page, &next), 0);
  assert_int_equal(json_array_size(page), 3);
  assert_int_equal(next, 0);
  json_decref(page);
  assert_int_equal(store_runs_list(f->s, 10, 0, "failed", &page, &next), 0);
  assert_int_equal(json_array_size(page), 2);
  json_decref(page);
}

static void unfinished_runs_become_interrupted(void **state) {
  struct fixture *f = *state;
  struct run r;
  make_run(&r, "00000000000000bb", "running");
  assert_int_equal(store_run_insert(f->s, &r), 0);
  run_clear(&r);
  make_run(&r, "00000000000000cc", "succeeded");
  assert_int_equal(store_run_insert(f->s, &r), 0);
  run_clear(&r);
  assert_int_equal(store_mark_interrupted(f->s, 42), 1);
  assert_int_equal(store_run_get(f->s, "00000000000000bb", &r), 0);
  assert_string_equal(r.status, "interrupted");
  assert_string_equal(r.error_code, "interrupted");
  run_clear(&r);
}

/* Recovery cut short (here: a trigger refuses the matrices' UPDATE) changes nothing: the three UPDATEs ran
 * in autocommit before (issue 16), so the runs stayed interrupted under a matrix left "running". */
static void recovery_is_one_transaction(void **state) {
  struct fixture *f = *state;
  struct run r;
  make_run(&r, "00000000000000bb", "running");
  assert_int_equal(store_run_insert(f->s, &r), 0);
  run_clear(&r);
  assert_int_equal(store_matrix_insert(f->s, "00000000000000m1", "{}", "exclusive", 1, 1, 7), 0);
  sqlite3 *db;
  assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
  const char *refuse = "CREATE TRIGGER refuse BEFORE UPDATE ON matrices BEGIN SELECT RAISE(ABORT, 'no'); END";
  assert_int_equal(sqlite3_exec(db, refuse, NULL, NULL, NULL), SQLITE_OK);
  assert_true(store_mark_interrupted(f->s, 42) < 0);
  assert_int_equal(store_run_get(f->s, "00000000000000bb", &r), 0);
  assert_string_equal(r.status, "running");
  run_clear(&r);
  assert_int_equal(sqlite3_exec(db, "DROP TRIGGER refuse", NULL, NULL, NULL), SQLITE_OK);
  sqlite3_close(db);
  assert_int_equal(store_mark_interrupted(f->s, 43), 1);
  assert_int_equal(store_run_get(f->s, "00000000000000bb", &r), 0);
  assert_string_equal(r.status, "interrupted");
  run_clear(&r);
}

/* What /metrics shows comes from the store: counts by status and the boot-time histogram. */
static void metrics_aggregates(void **state) {
  struct fixture *f = *state;
  const char *ids[] = {"00000000000000a1", "00000000000000a2", "00000000000000a3", "00000000000000a4"};
  const char *statuses[] = {"succeeded", "succeeded", "failed", "succeeded"};
  const int64_t boot_us[] = {200000, 3000000, RUN_NULL, 700000};
  for (int i = 0; i < 4; i++) {
    struct run r;
    make_run(&r, ids[i], statuses[i]);
    r.boot_time_us = boot_us[i];
    if (i == 3)
      run_set_str(&r.profile, "linux");
    assert_int_equal(store_run_insert(f->s, &r), 0);
    assert_int_equal(store_run_update(f->s, &r), 0); /* the measurement is written when the run ends */
    run_clear(&r);
  }
  json_auto_t *counts = NULL;
  assert_int_equal(store_status_counts(f->s, "runs", &counts), 0);
  assert_int_equal(json_integer_value(json_object_get(counts, "succeeded")), 3);
  assert_int_equal(json_integer_value(json_object_get(counts, "failed")), 1);
  assert_null(json_object_get(counts, "running"));
  json_auto_t *none = NULL;
  assert_int_equal(store_status_counts(f->s, "installs", &none), 0);
  assert_int_equal(json_object_size(none), 0);
  json_t *unused = NULL;
  assert_int_equal(store_status_counts(f->s, "runs; DROP TABLE runs", &unused), -EINVAL);
  static const double le[] = {0.25, 1, 5};
  json_auto_t *rows = NULL;
  assert_int_equal(store_boot_time_histogram(f->s, le, 3, &rows), 0);
  assert_int_equal(json_array_size(rows), 2);
  json_t *linux_row = json_array_get(rows, 0), *minix = json_array_get(rows, 1);
  assert_string_equal(json_string_value(json_object_get(linux_row, "profile")), "linux");
  assert_int_equal(json_integer_value(json_object_get(linux_row, "count")), 1);
  assert_string_equal(json_string_value(json_object_get(minix, "profile")), "minix-3.4");
  assert_int_equal(json_integer_value(json_object_get(minix, "count")), 2);
  assert_int_equal(json_integer_value(json_object_get(minix, "sum_us")), 3200000);
  json_t *buckets = json_object_get(minix, "buckets");
  assert_int_equal(json_integer_value(json_array_get(buckets, 0)), 1);
  assert_int_equal(json_integer_value(json_array_get(buckets, 1)), 1);
  assert_int_equal(json_integer_value(json_array_get(buckets, 2)), 2);
}

static void matrix_round_trip(void **state) {
  struct fixture *f = *state;
  assert_int_equal(store_matrix_insert(f->s, "00000000000000m1", "{\"samples\":2}", "exclusive", 1, 2, 7), 0);
  const char *ids[] = {"00000000000000r1", "00000000000000r0"};
  for (int i = 0; i < 2; i++) {
    struct run r;
    make_run(&r, ids[i], "succeeded");
    r.matrix_id = strdup("00000000000000m1");
    r.matrix_index = 1 - i; /* inserted out of order */
    assert_int_equal(store_run_insert(f->s, &r), 0);
    run_clear(&r);
  }
  json_t *m, *runs;
  assert_int_equal(store_matrix_get(f->s, "00000000000000m1", &m), 0);
  assert_string_equal(json_string_value(json_object_get(m, "status")), "running");
  assert_int_equal(json_integer_value(json_object_get(json_object_get(m, "request"), "samples")), 2);
  json_decref(m);
  assert_int_equal(store_matrix_runs(f->s, "00000000000000m1", &runs), 0);
  assert_int_equal(json_array_size(runs), 2);
  assert_string_equal(json_string_value(json_object_get(json_array_get(runs, 0), "id")), "00000000000000r0");
  assert_int_equal(json_integer_value(json_object_get(json_array_get(runs, 1), "matrix_index")), 1);
  json_decref(runs);
  assert_int_equal(store_mark_interrupted(f->s, 9), 0);
  assert_int_equal(store_matrix_get(f->s, "00000000000000m1", &m), 0);
  assert_string_equal(json_string_value(json_object_get(m, "status")), "interrupted");
  json_decref(m);
  assert_int_equal(store_matrix_finish(f->s, "00000000000000m1", "done", 10), 0);
  assert_int_equal(store_matrix_get(f->s, "nope", &m), -2);
}

static void unwritable_path_fails_cleanly(void **state) {
  (void)state;
  struct store *s = NULL;
  char *err = NULL;
  assert_true(store_open("/nonexistent-dir/x.db", &s, &err) < 0);
  assert_non_null(err);
  assert_null(s);
  free(err);
}

static unsigned mode_of(const char *path, const char *suffix) {
  char *p = util_strdupf("%s%s", path, suffix);
  struct stat st;
  assert_int_equal(stat(p, &st), 0);
  free(p);
  return st.st_mode & 0777;
}

/* The database and its -wal and -shm hold token hashes and every run: 0600 even under umask 000. */
static void files_are_private_whatever_the_umask(void **state) {
  (void)state;
  char dir[] = "/tmp/ma-store-XXXXXX";
  assert_non_null(mkdtemp(dir));
  char *path = util_strdupf("%s/umask.db", dir);
  mode_t old = umask(0);
  struct store *s = NULL;
  char *err = NULL;
  int r = store_open(path, &s, &err);
  umask(old);
  assert_int_equal(r, 0);
  assert_int_equal(mode_of(path, ""), 0600);
  assert_int_equal(mode_of(path, "-wal"), 0600);
  assert_int_equal(mode_of(path, "-shm"), 0600);
  store_close(s);
  char *cmd = util_strdupf("rm -rf %s", dir);
  assert_int_equal(system(cmd), 0);
  free(cmd);
  free(path);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(migrates_from_empty, setup, teardown),
      cmocka_unit_test_setup_teardown(run_round_trip, setup, teardown),
      cmocka_unit_test_setup_teardown(list_pages_newest_first, setup, teardown),
      cmocka_unit_test_setup_teardown(unfinished_runs_become_interrupted, setup, teardown),
      cmocka_unit_test_setup_teardown(matrix_round_trip, setup, teardown),
      cmocka_unit_test_setup_teardown(recovery_is_one_transaction, setup, teardown),
      cmocka_unit_test_setup_teardown(metrics_aggregates, setup, teardown),
      cmocka_unit_test(unwritable_path_fails_cleanly),
      cmocka_unit_test(files_are_private_whatever_the_umask),
  };
  return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}

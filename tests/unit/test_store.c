/* Store: migration from empty, round trips, listing, crash recovery, the registry of prepared
 * statements. */
#include <errno.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/embedded.h"
#include "lib/int_log.h"
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
  assert_string_equal(json_string_value(json_object_get(json_array_get(page, 0), "id")),
                      "0000000000000004");
  assert_null(json_object_get(json_array_get(page, 0), "markers"));
  assert_true(next > 0);
  json_decref(page);
  assert_int_equal(store_runs_list(f->s, 10, next, NULL, &page, &next), 0);
  assert_int_equal(json_array_size(page), 3);
  assert_int_equal(next, 0);
  json_decref(page);
  assert_int_equal(
      store_runs_list(f->s, 10, 0, &(struct store_runs_filter){.status = "failed"}, &page, &next),
      0);
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

/* Recovery cut short (here: a trigger refuses the matrices' UPDATE) changes nothing: the three
 * UPDATEs ran in autocommit before (issue 16), so the runs stayed interrupted under a matrix left
 * "running". */
static void recovery_is_one_transaction(void **state) {
  struct fixture *f = *state;
  struct run r;
  make_run(&r, "00000000000000bb", "running");
  assert_int_equal(store_run_insert(f->s, &r), 0);
  run_clear(&r);
  assert_int_equal(store_matrix_insert(f->s, "00000000000000m1", "{}", "exclusive", 1, 1, 7), 0);
  sqlite3 *db;
  assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
  const char *refuse =
      "CREATE TRIGGER refuse BEFORE UPDATE ON matrices BEGIN SELECT RAISE(ABORT, 'no'); END";
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
  const char *ids[] = {"00000000000000a1", "00000000000000a2", "00000000000000a3",
                       "00000000000000a4"};
  const char *statuses[] = {"succeeded", "succeeded", "failed", "succeeded"};
  const int64_t boot_us[] = {200000, 3000000, RUN_NULL, 700000};
  for (int i = 0; i < 4; i++) {
    struct run r;
    make_run(&r, ids[i], statuses[i]);
    r.boot_time_us = boot_us[i];
    if (i == 3)
      run_set_str(&r.profile, "linux");
    assert_int_equal(store_run_insert(f->s, &r), 0);
    assert_int_equal(store_run_update(f->s, &r),
                     0); /* the measurement is written when the run ends */
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
  assert_int_equal(
      store_matrix_insert(f->s, "00000000000000m1", "{\"samples\":2}", "exclusive", 1, 2, 7), 0);
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
  assert_int_equal(json_integer_value(json_object_get(json_object_get(m, "request"), "samples")),
                   2);
  json_decref(m);
  assert_int_equal(store_matrix_runs(f->s, "00000000000000m1", &runs), 0);
  assert_int_equal(json_array_size(runs), 2);
  assert_string_equal(json_string_value(json_object_get(json_array_get(runs, 0), "id")),
                      "00000000000000r0");
  assert_int_equal(json_integer_value(json_object_get(json_array_get(runs, 1), "matrix_index")), 1);
  json_decref(runs);
  assert_int_equal(store_mark_interrupted(f->s, 9), 0);
  assert_int_equal(store_matrix_get(f->s, "00000000000000m1", &m), 0);
  assert_string_equal(json_string_value(json_object_get(m, "status")), "interrupted");
  json_decref(m);
  assert_int_equal(store_matrix_finish(f->s, "00000000000000m1", "done", 10), 0);
  assert_int_equal(store_matrix_get(f->s, "nope", &m), -2);
}

static void tokens_round_trip(void **state) {
  struct fixture *f = *state;
  char token[STORE_TOKEN_LEN + 1], id[UTIL_ID_LEN + 1], scope[8];
  assert_int_equal(store_token_create(f->s, "ci", "read", token, id), 0);
  assert_int_equal(strlen(token), STORE_TOKEN_LEN);
  assert_int_equal(store_token_scope(f->s, token, scope), 0);
  assert_string_equal(scope, "read");
  assert_int_equal(store_token_scope(f->s, "ma_not-a-token", scope), -ENOENT);
  json_auto_t *list = NULL;
  assert_int_equal(store_tokens_list(f->s, &list), 0);
  assert_int_equal(json_array_size(list), 1);
  json_t *row = json_array_get(list, 0);
  assert_string_equal(json_string_value(json_object_get(row, "name")), "ci");
  assert_string_equal(json_string_value(json_object_get(row, "id")), id);
  assert_true(json_is_null(json_object_get(row, "revoked_at")));
  _cleanup_(util_freep) char *dump = json_dumps(list, 0);
  assert_non_null(dump);
  assert_null(strstr(dump, token)); /* never the secret */
  assert_int_equal(store_token_revoke(f->s, id), 0);
  assert_int_equal(store_token_revoke(f->s, id), -ENOENT);
  assert_int_equal(store_token_scope(f->s, token, scope), -ENOENT);
}

static void docs_round_trip(void **state) {
  struct fixture *f = *state;
  json_auto_t *doc = json_pack("{s:s, s:[i]}", "phase", "boot", "runs", 1);
  assert_int_equal(store_doc_put(f->s, STORE_INSTALLS, "00000000000000i1", "running", doc, 5), 0);
  assert_int_equal(store_doc_put(f->s, STORE_TRACES, "00000000000000t1", "running", doc, 6), 0);
  assert_int_equal(store_doc_put(f->s, STORE_TRACES, "00000000000000t2", "succeeded", doc, 7), 0);
  json_object_set_new(doc, "phase", json_string("setup"));
  assert_int_equal(store_doc_put(f->s, STORE_INSTALLS, "00000000000000i1", "running", doc, 5),
                   0); /* replaces */
  json_auto_t *got = NULL;
  assert_int_equal(store_doc_get(f->s, STORE_INSTALLS, "00000000000000i1", &got), 0);
  assert_string_equal(json_string_value(json_object_get(got, "phase")), "setup");
  assert_string_equal(json_string_value(json_object_get(got, "status")), "running");
  json_t *unused = NULL;
  assert_int_equal(store_doc_get(f->s, STORE_INSTALLS, "00000000000000t1", &unused),
                   -ENOENT); /* a trace's id */
  assert_null(unused);
  json_auto_t *traces = NULL;
  assert_int_equal(store_docs_list(f->s, STORE_TRACES, 10, &traces), 0);
  assert_int_equal(json_array_size(traces), 2);
  assert_string_equal(json_string_value(json_object_get(json_array_get(traces, 0), "status")),
                      "succeeded");
  /* Recovery: the unfinished install and trace, not the finished trace; their documents stay as
   * written. */
  assert_int_equal(store_mark_interrupted(f->s, 9), 0);
  json_auto_t *install = NULL, *trace = NULL, *done = NULL;
  assert_int_equal(store_doc_get(f->s, STORE_INSTALLS, "00000000000000i1", &install), 0);
  assert_string_equal(json_string_value(json_object_get(install, "status")), "interrupted");
  assert_string_equal(json_string_value(json_object_get(install, "phase")), "setup");
  assert_int_equal(store_doc_get(f->s, STORE_TRACES, "00000000000000t1", &trace), 0);
  assert_string_equal(json_string_value(json_object_get(trace, "status")), "interrupted");
  assert_int_equal(store_doc_get(f->s, STORE_TRACES, "00000000000000t2", &done), 0);
  assert_string_equal(json_string_value(json_object_get(done, "status")), "succeeded");
}

static const char int_log[] = "     0: v=0e e=0000 i=0 cpl=0 IP=0010:1 pc=1 SP=0000:2 CR2=3\n"
                              "     1: v=0e e=0000 i=0 cpl=0 IP=0010:1 pc=1 SP=0000:2 CR2=3\n"
                              "     2: v=30 e=0000 i=0 cpl=0 IP=0010:1 pc=1 SP=0000:2\n";

static void insert_run(struct store *s, const char *id) {
  struct run r;
  make_run(&r, id, "succeeded");
  assert_int_equal(store_run_insert(s, &r), 0);
  run_clear(&r);
}

static void traps_round_trip(void **state) {
  struct fixture *f = *state;
  insert_run(f->s, "00000000000000aa");
  struct int_counter *c = int_counter_new();
  int_counter_feed(c, int_log, sizeof int_log - 1, 0);
  int_counter_feed(c, int_log, sizeof int_log - 1, 1500000);
  assert_int_equal(store_traps_put(f->s, "00000000000000aa", c), 0);
  assert_int_equal(store_traps_put(f->s, "00000000000000aa", c),
                   0); /* replaces, counts not doubled */
  int_counter_free(c);
  json_auto_t *traps = NULL;
  assert_int_equal(store_traps_get(f->s, "00000000000000aa", &traps), 0);
  json_t *totals = json_object_get(traps, "totals"),
         *seconds = json_object_get(traps, "per_second");
  assert_int_equal(json_array_size(totals), 2);
  json_t *pf = json_array_get(totals, 0);
  assert_string_equal(json_string_value(json_object_get(pf, "hex")), "0x0e");
  assert_string_equal(json_string_value(json_object_get(pf, "kind")), "exception");
  assert_string_equal(json_string_value(json_object_get(pf, "name")), "page fault (#PF)");
  assert_int_equal(json_integer_value(json_object_get(pf, "count")), 4);
  assert_int_equal(json_array_size(seconds), 2);
  assert_int_equal(json_integer_value(json_object_get(json_array_get(seconds, 1), "second")), 1);
  json_auto_t *none = NULL;
  assert_int_equal(store_traps_get(f->s, "00000000000000bb", &none), 0);
  assert_int_equal(json_array_size(json_object_get(none, "totals")), 0);
}

static void guest_memory_round_trip(void **state) {
  struct fixture *f = *state;
  insert_run(f->s, "00000000000000aa");
  json_auto_t *late = json_pack("{s:i, s:i}", "MemTotal", 1000, "MemFree", 400);
  json_auto_t *early = json_pack("{s:i, s:i}", "MemTotal", 1000, "MemFree", 900);
  assert_int_equal(store_guest_memory_insert(f->s, "00000000000000aa", 2500, late), 0);
  assert_int_equal(store_guest_memory_insert(f->s, "00000000000000aa", 500, early), 0);
  json_auto_t *list = NULL;
  assert_int_equal(store_guest_memory_list(f->s, "00000000000000aa", &list), 0);
  assert_int_equal(json_array_size(list), 2);
  json_t *first = json_array_get(list, 0);
  assert_true(json_real_value(json_object_get(first, "t_ms")) == 0.5);
  assert_int_equal(
      json_integer_value(json_object_get(json_object_get(first, "meminfo_kb"), "MemFree")), 900);
}

/* One call of every store function, the failing ones included (unknown ids, a page cut short). */
static void every_operation(struct store *s, int i) {
  char id[17], run_id[17], token[STORE_TOKEN_LEN + 1], token_id[UTIL_ID_LEN + 1], scope[8],
      image_id[UTIL_ID_LEN + 1];
  snprintf(run_id, sizeof run_id, "%016d", i);
  struct run r;
  make_run(&r, run_id, "running");
  run_add_marker(&r, "kernel_starts", 1234, "serial", "MINIX");
  assert_int_equal(store_run_insert(s, &r), 0);
  assert_int_equal(store_marker_insert(s, r.id, 0, &r.markers[0]), 0);
  assert_int_equal(store_run_update(s, &r), 0);
  run_clear(&r);
  assert_int_equal(store_run_get(s, run_id, &r), 0);
  run_clear(&r);
  assert_int_equal(store_run_get(s, "ffffffffffffffff", &r), -ENOENT);
  run_clear(&r);
  json_t *j = NULL;
  int64_t next;
  assert_int_equal(store_runs_list(s, 1, 0, NULL, &j, &next),
                   0); /* stops mid-step when there are two */
  json_decref(j);
  assert_int_equal(
      store_runs_list(s, 5, 0, &(struct store_runs_filter){.status = "running"}, &j, &next), 0);
  json_decref(j);
  snprintf(id, sizeof id, "%015dm", i);
  assert_int_equal(store_matrix_insert(s, id, "{}", "exclusive", 1, 1, 7), 0);
  assert_int_equal(store_matrix_get(s, id, &j), 0);
  json_decref(j);
  assert_int_equal(store_matrix_runs(s, id, &j), 0);
  json_decref(j);
  assert_int_equal(store_matrix_finish(s, id, "done", 8), 0);
  char sha[65];
  snprintf(sha, sizeof sha, "%064d", i);
  assert_int_equal(store_image_put(s, id, sha, "/x.iso", "iso", "{}", 9, image_id), 0);
  assert_int_equal(store_image_get(s, image_id, &j), 0);
  json_decref(j);
  assert_int_equal(store_images_list(s, &j), 0);
  json_decref(j);
  assert_int_equal(store_image_delete(s, image_id), 0);
  assert_int_equal(store_image_delete(s, image_id), -ENOENT);
  struct procstat_sample sample = {
      .proc = {.rss_kb = 1}, .guest_ram_mb = -1, .guest_mapped_kb = -1, .info_mem_us = -1};
  assert_int_equal(store_memory_insert(s, run_id, 10, &sample), 0);
  assert_int_equal(store_memory_list(s, run_id, &j), 0);
  json_decref(j);
  json_auto_t *meminfo = json_pack("{s:i}", "MemFree", i);
  assert_int_equal(store_guest_memory_insert(s, run_id, 10, meminfo), 0);
  assert_int_equal(store_guest_memory_list(s, run_id, &j), 0);
  json_decref(j);
  assert_int_equal(store_token_create(s, "t", "full", token, token_id), 0);
  assert_int_equal(store_token_scope(s, token, scope), 0);
  assert_int_equal(store_tokens_list(s, &j), 0);
  json_decref(j);
  assert_int_equal(store_token_revoke(s, token_id), 0);
  assert_int_equal(store_doc_put(s, STORE_TRACES, id, "running", meminfo, 11), 0);
  assert_int_equal(store_doc_get(s, STORE_TRACES, id, &j), 0);
  json_decref(j);
  assert_int_equal(store_docs_list(s, STORE_INSTALLS, 3, &j), 0);
  json_decref(j);
  struct int_counter *c = int_counter_new();
  int_counter_feed(c, int_log, sizeof int_log - 1, 0);
  assert_int_equal(store_traps_put(s, run_id, c), 0);
  int_counter_free(c);
  assert_int_equal(store_traps_get(s, run_id, &j), 0);
  json_decref(j);
  assert_int_equal(store_status_counts(s, "traces", &j), 0);
  json_decref(j);
  static const double le[] = {1, 2};
  assert_int_equal(store_boot_time_histogram(s, le, 2, &j), 0);
  json_decref(j);
  assert_true(store_mark_interrupted(s, 12) >= 0);
  assert_true(store_schema_version(s) > 0);
}

/* Each statement is prepared once, at open: however many calls, the connection holds the same
 * statements, and none is left mid-step by a call that returned (a page cut short, a lookup that
 * found nothing). Before the registry covered every store file, tokens, documents, traps, guest
 * memory and metrics prepared a statement on every call. */
static void statements_are_prepared_once(void **state) {
  struct fixture *f = *state;
  struct store_stmt_stats before, after;
  store_stmt_stats(f->s, &before);
  assert_true(before.prepared > 0);
  assert_int_equal(before.live, before.prepared);
  assert_int_equal(before.busy, 0);
  assert_int_equal(before.compiles, 0);
  for (int i = 0; i < 50; i++) {
    every_operation(f->s, i);
    store_stmt_stats(f->s, &after);
    assert_int_equal(after.prepared, before.prepared);
    assert_int_equal(after.live, before.prepared);
    assert_int_equal(after.busy, 0);
    assert_int_equal(after.compiles,
                     0); /* nothing prepared on the side, nothing through sqlite3_exec */
  }
}

/* Closing finalizes every statement: sqlite3_close (which refuses while one is alive) succeeds. */
static void close_finalizes_every_statement(void **state) {
  struct fixture *f = *state;
  every_operation(f->s, 1);
  every_operation(f->s, 2);
  assert_int_equal(store_close(f->s), 0);
  f->s = NULL;
  assert_int_equal(store_close(NULL), 0);
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
  /* A state dir from before: the database and its side files readable by all. */
  assert_int_equal(chmod(path, 0644), 0);
  char *wal = util_strdupf("%s-wal", path);
  FILE *f = fopen(wal, "a");
  assert_non_null(f);
  fclose(f);
  assert_int_equal(chmod(wal, 0644), 0);
  assert_int_equal(store_open(path, &s, &err), 0);
  assert_int_equal(mode_of(path, ""), 0600);
  assert_int_equal(mode_of(path, "-wal"), 0600);
  assert_int_equal(mode_of(path, "-shm"), 0600);
  store_close(s);
  free(wal);
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
      cmocka_unit_test_setup_teardown(tokens_round_trip, setup, teardown),
      cmocka_unit_test_setup_teardown(docs_round_trip, setup, teardown),
      cmocka_unit_test_setup_teardown(traps_round_trip, setup, teardown),
      cmocka_unit_test_setup_teardown(guest_memory_round_trip, setup, teardown),
      cmocka_unit_test_setup_teardown(statements_are_prepared_once, setup, teardown),
      cmocka_unit_test_setup_teardown(close_finalizes_every_statement, setup, teardown),
      cmocka_unit_test(unwritable_path_fails_cleanly),
      cmocka_unit_test(files_are_private_whatever_the_umask),
  };
  return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}

/* Allocation failures in the job queue and the supervisor (issue 16): a strdup that fails is
 * refused with -ENOMEM before anything is queued or spawned. strdup is wrapped at link time
 * (-Wl,--wrap=strdup) so that the N-th call from now fails. */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "core/jobs.h"
#include "core/supervisor.h"
#include "lib/store.h"
#include "test_util.h"

char *__real_strdup(const char *s);
static int fail_in = -1; /* calls to strdup left before one fails; -1: never */

char *__wrap_strdup(const char *s) {
  if (fail_in >= 0 && fail_in-- == 0)
    return NULL;
  return __real_strdup(s);
}

/* Every copy supervisor_start makes of its paths is checked: the old code went on with NULL paths
 * and spawned QEMU anyway. Nothing is left open on the loop. */
static void supervisor_refuses_when_a_copy_fails(void **state) {
  (void)state;
  uv_loop_t loop;
  assert_int_equal(uv_loop_init(&loop), 0);
  char *const argv[] = {"/bin/false", NULL};
  struct supervisor_config cfg = {
      .argv = argv, .qmp_path = "/tmp/ma-alloc.qmp", .serial_path = "/tmp/ma-alloc.ser"};
  struct supervisor_callbacks cb = {0};
  for (int n = 0; n < 2; n++) {
    struct supervisor *s = NULL;
    fail_in = n;
    int r = supervisor_start(&loop, &cfg, &cb, NULL, &s);
    fail_in = -1;
    assert_int_equal(r, -ENOMEM);
  }
  assert_int_equal(uv_loop_close(&loop), 0);
}

/* A run whose strings cannot be copied is not queued: -ENOMEM, nothing stored. */
static void jobs_refuse_a_run_when_a_copy_fails(void **state) {
  (void)state;
  char dir[] = "/tmp/ma-alloc-XXXXXX", kernel[512];
  assert_non_null(mkdtemp(dir));
  _cleanup_(util_freep) char *db = util_strdupf("%s/minix-analysis.db", dir);
  struct store *store;
  char *err = NULL;
  assert_int_equal(store_open(db, &store, &err), 0);
  struct bootspec_env env = {0};
  assert_int_equal(test_boot_env(&env, kernel, sizeof kernel), 0);
  uv_loop_t loop;
  assert_int_equal(uv_loop_init(&loop), 0);
  struct jobs_config cfg = {.state_dir = dir, .max_running = 1, .max_queued = 4};
  struct jobs *jobs = jobs_new(&loop, store, env.profiles, NULL, &cfg);
  assert_non_null(jobs);
  for (int n = 0; n < 4; n++) { /* status, arch, requested accelerator, profile */
    _cleanup_(util_freep) char *body =
        util_strdupf("{\"kernel\":\"%s\",\"profile\":\"minix-3.4\",\"accel\":\"tcg\"}", kernel);
    struct boot_spec *spec = NULL;
    struct ma_error merr;
    assert_int_equal(bootspec_parse(body, strlen(body), &env, &spec, &merr), 0);
    char id[UTIL_ID_LEN + 1];
    fail_in = n;
    int r = jobs_submit(jobs, spec, id);
    fail_in = -1;
    assert_int_equal(r, -ENOMEM);
  }
  json_t *runs = NULL;
  int64_t next;
  assert_int_equal(store_runs_list(store, 10, 0, NULL, &runs, &next), 0);
  assert_int_equal(json_array_size(runs), 0);
  json_decref(runs);
  jobs_free(jobs);
  assert_int_equal(uv_loop_close(&loop), 0);
  store_close(store);
  profile_set_free((struct profile_set *)env.profiles);
  _cleanup_(util_freep) char *cmd = util_strdupf("rm -rf %s", dir);
  assert_int_equal(system(cmd), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(supervisor_refuses_when_a_copy_fails),
      cmocka_unit_test(jobs_refuse_a_run_when_a_copy_fails),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

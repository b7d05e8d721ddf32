/* lib/slurm: the sbatch command of a matrix, the task script, squeue's lines and what a Slurm job
 * state means for a run. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "lib/slurm.h"

static const struct slurm_config cfg = {.partition = "debug",
                                        .account = "os-lab",
                                        .spool = "/shared/spool",
                                        .cli = "/opt/ma/bin/minix-analysis",
                                        .bin_dir = "/usr/bin",
                                        .qemu_dir = "/usr/bin"};

static char *joined(char **argv) {
  static char buf[1024];
  buf[0] = '\0';
  for (char **a = argv; *a; a++) {
    strcat(buf, *a);
    strcat(buf, a[1] ? " " : "");
  }
  return buf;
}

static void sbatch_of_an_exclusive_and_a_parallel_matrix(void **state) {
  (void)state;
  char **argv = slurm_sbatch_argv(&cfg, "0011aabb", "/shared/spool/0011aabb",
                                  "/shared/spool/0011aabb/task.sh", 8, true, 1);
  assert_string_equal(
      joined(argv),
      "/usr/bin/sbatch --parsable --no-requeue --array=0-7 --partition=debug --account=os-lab "
      "--exclusive --job-name=minix-analysis-0011aabb "
      "--output=/shared/spool/0011aabb/slurm-%a.out "
      "--chdir=/shared/spool/0011aabb /shared/spool/0011aabb/task.sh");
  slurm_argv_free(argv);
  struct slurm_config c = cfg;
  c.account = NULL;
  c.constraint = "avx2";
  argv = slurm_sbatch_argv(&c, "ff", "/s/ff", "/s/ff/task.sh", 40, false, 4);
  assert_string_equal(joined(argv),
                      "/usr/bin/sbatch --parsable --no-requeue --array=0-39%4 --partition=debug "
                      "--constraint=avx2 --job-name=minix-analysis-ff "
                      "--output=/s/ff/slurm-%a.out --chdir=/s/ff /s/ff/task.sh");
  slurm_argv_free(argv);
}

static void the_task_script_quotes_its_paths(void **state) {
  (void)state;
  struct slurm_config c = cfg;
  c.cli = "/opt/it's here/minix-analysis";
  char *s = slurm_task_script(&c, "/shared/spool/ab");
  assert_non_null(strstr(s, "exec '/opt/it'\\''s here/minix-analysis' --qemu-dir '/usr/bin' "
                            "slurm-task '/shared/spool/ab' \"$SLURM_ARRAY_TASK_ID\"\n"));
  assert_true(strncmp(s, "#!/bin/sh\n", 10) == 0);
  free(s);
  c.profile_dir = "/shared/profiles";
  s = slurm_task_script(&c, "/s/ab");
  assert_non_null(strstr(s, " --qemu-dir '/usr/bin' --profile-dir '/shared/profiles' slurm-task "));
  free(s);
}

static void squeue_lines(void **state) {
  (void)state;
  struct slurm_task_state t[4];
  size_t n = slurm_parse_squeue("0|COMPLETED|None\n1|RUNNING|None\ngarbage\n"
                                "N/A|PENDING|Resources\n12|CANCELLED by 0|None",
                                t, 4);
  assert_int_equal(n, 3);
  assert_int_equal(t[0].index, 0);
  assert_string_equal(t[0].state, "COMPLETED");
  assert_int_equal(t[1].index, 1);
  assert_string_equal(t[1].state, "RUNNING");
  assert_int_equal(t[2].index, 12);
  assert_string_equal(t[2].state, "CANCELLED by 0");
  assert_int_equal(slurm_parse_squeue("", t, 4), 0);
  assert_int_equal(slurm_parse_squeue("0|A|b\n1|A|b\n2|A|b\n", t, 2), 2);
}

static void states_and_their_codes(void **state) {
  (void)state;
  static const struct {
    const char *state;
    enum slurm_verdict v;
    const char *code;
  } rows[] = {{"PENDING", SLURM_ALIVE, NULL},
              {"RUNNING", SLURM_ALIVE, NULL},
              {"COMPLETING", SLURM_ALIVE, NULL},
              {"COMPLETED", SLURM_COMPLETED, NULL},
              {"FAILED", SLURM_ENDED, "slurm_failed"},
              {"OUT_OF_MEMORY", SLURM_ENDED, "slurm_failed"},
              {"TIMEOUT", SLURM_ENDED, "slurm_timeout"},
              {"NODE_FAIL", SLURM_ENDED, "slurm_node_fail"},
              {"CANCELLED", SLURM_ENDED, "slurm_cancelled"},
              {"CANCELLED by 0", SLURM_ENDED, "slurm_cancelled"},
              {"PREEMPTED", SLURM_ENDED, "slurm_cancelled"},
              {"COMPLETEDX", SLURM_ALIVE, NULL}};
  for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
    const char *code = "x";
    assert_int_equal(slurm_judge(rows[i].state, &code), rows[i].v);
    if (rows[i].code)
      assert_string_equal(code, rows[i].code);
    else
      assert_null(code);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(sbatch_of_an_exclusive_and_a_parallel_matrix),
      cmocka_unit_test(the_task_script_quotes_its_paths),
      cmocka_unit_test(squeue_lines),
      cmocka_unit_test(states_and_their_codes),
  };
  return cmocka_run_group_tests_name("slurm", tests, NULL, NULL);
}

#include "lib/slurm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

void slurm_argv_free(char **argv) {
  for (char **a = argv; a && *a; a++)
    free(*a);
  free(argv);
}

char **slurm_sbatch_argv(const struct slurm_config *c, const char *matrix_id, const char *dir,
                         const char *script, int n, bool exclusive, int parallel) {
  char **argv = calloc(16, sizeof *argv);
  size_t k = 0;
  if (!argv)
    return NULL;
  argv[k++] = util_strdupf("%s/sbatch", c->bin_dir);
  argv[k++] = util_strdupf("--parsable");
  /* A task whose node fails is not booted again behind the daemon's back: its run says so. */
  argv[k++] = util_strdupf("--no-requeue");
  argv[k++] = parallel > 0 && !exclusive ? util_strdupf("--array=0-%d%%%d", n - 1, parallel)
                                         : util_strdupf("--array=0-%d", n - 1);
  argv[k++] = util_strdupf("--partition=%s", c->partition);
  if (c->account)
    argv[k++] = util_strdupf("--account=%s", c->account);
  if (c->constraint)
    argv[k++] = util_strdupf("--constraint=%s", c->constraint);
  if (exclusive) /* one boot per node at a time, nothing else on it; else Slurm packs tasks */
    argv[k++] = util_strdupf("--exclusive");
  argv[k++] = util_strdupf("--job-name=minix-analysis-%s", matrix_id);
  argv[k++] = util_strdupf("--output=%s/slurm-%%a.out", dir);
  argv[k++] = util_strdupf("--chdir=%s", dir);
  argv[k++] = util_strdupf("%s", script);
  for (size_t i = 0; i < k; i++) {
    if (!argv[i]) {
      slurm_argv_free(argv);
      return NULL;
    }
  }
  return argv;
}

/* Single quotes for sh: every ' becomes '\''. */
static char *sh_quote(const char *s) {
  struct util_buf b = {0};
  util_buf_append(&b, "'", 1);
  for (const char *p = s; *p; p++)
    *p == '\'' ? util_buf_append(&b, "'\\''", 4) : util_buf_append(&b, p, 1);
  if (util_buf_append(&b, "'", 1) < 0) {
    util_buf_clear(&b);
    return NULL;
  }
  return b.data;
}

char *slurm_task_script(const struct slurm_config *c, const char *dir) {
  _cleanup_(util_freep) char *cli = sh_quote(c->cli);
  _cleanup_(util_freep) char *qemu = sh_quote(c->qemu_dir ? c->qemu_dir : "/usr/bin");
  _cleanup_(util_freep) char *spool = sh_quote(dir);
  _cleanup_(util_freep) char *profiles = c->profile_dir ? sh_quote(c->profile_dir) : NULL;
  if (!cli || !qemu || !spool || (c->profile_dir && !profiles))
    return NULL;
  return util_strdupf("#!/bin/sh\n"
                      "# Written by minix-analysisd: one run of this matrix, booted in-process on "
                      "this node.\n"
                      "exec %s --qemu-dir %s%s%s slurm-task %s \"$SLURM_ARRAY_TASK_ID\"\n",
                      cli, qemu, profiles ? " --profile-dir " : "", profiles ? profiles : "",
                      spool);
}

size_t slurm_parse_squeue(const char *text, struct slurm_task_state *out, size_t cap) {
  size_t n = 0;
  for (const char *line = text; line && *line && n < cap;) {
    const char *end = strchr(line, '\n');
    size_t len = end ? (size_t)(end - line) : strlen(line);
    char buf[256];
    if (len < sizeof buf) {
      memcpy(buf, line, len);
      buf[len] = '\0';
      char *bar1 = strchr(buf, '|'), *bar2 = bar1 ? strchr(bar1 + 1, '|') : NULL;
      long k;
      if (bar2) {
        *bar1 = *bar2 = '\0';
        if (util_parse_long(buf, 0, 10000000, &k) == 0 && bar2 - bar1 - 1 < 32) {
          out[n].index = k;
          snprintf(out[n].state, sizeof out[n].state, "%s", bar1 + 1);
          snprintf(out[n].reason, sizeof out[n].reason, "%s", bar2 + 1);
          n++;
        }
      }
    }
    line = end ? end + 1 : NULL;
  }
  return n;
}

enum slurm_verdict slurm_judge(const char *state, const char **code) {
  static const struct {
    const char *state, *code;
  } ended[] = {{"FAILED", "slurm_failed"},       {"OUT_OF_MEMORY", "slurm_failed"},
               {"TIMEOUT", "slurm_timeout"},     {"DEADLINE", "slurm_timeout"},
               {"NODE_FAIL", "slurm_node_fail"}, {"BOOT_FAIL", "slurm_node_fail"},
               {"CANCELLED", "slurm_cancelled"}, {"PREEMPTED", "slurm_cancelled"},
               {"REVOKED", "slurm_cancelled"},   {"SPECIAL_EXIT", "slurm_failed"}};
  *code = NULL;
  /* squeue may append a "+" or a reason ("CANCELLED by 0"): the first word decides */
  size_t len = strcspn(state, " +");
  if (len == 9 && strncmp(state, "COMPLETED", 9) == 0)
    return SLURM_COMPLETED;
  for (size_t i = 0; i < sizeof ended / sizeof *ended; i++) {
    if (strlen(ended[i].state) == len && strncmp(state, ended[i].state, len) == 0) {
      *code = ended[i].code;
      return SLURM_ENDED;
    }
  }
  return SLURM_ALIVE;
}

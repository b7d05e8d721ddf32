/* `slurm-task SPOOL_DIR K`: what a Slurm array task runs on its node. It boots task K of the
 * matrix's spool directory in-process, in a state dir of its own under $TMPDIR, through the same
 * code as `minix-analysis boot` (same argv, same detector), then leaves the console log and the run
 * object in the spool for the daemon to ingest (lib/spool.h), and its state dir nowhere. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/spool.h"
#include "lib/util.h"
#include "programs/cli/cli.h"
#include "programs/cli/client.h"

/* Boots the request in a fresh state dir under tmp and stores its results in the spool. */
static int boot_task(const struct cli *cli, const char *dir, long k, json_t *req,
                     const char *state) {
  struct cli here = *cli;
  here.state_dir = state;
  here.server = NULL;
  here.json = true;
  struct client c;
  if (client_open(&c, &here, CLIENT_RUN, json_string_value(json_object_get(req, "accel")), 1, 1) <
      0)
    return EXIT_ERROR;
  json_auto_t *run = NULL;
  int r = cli_boot(&c, req, &run);
  client_close(&c);
  if (r)
    return r;
  _cleanup_(util_freep) char *log =
      util_strdupf("%s/runs/%s.serial", state, json_string_value(json_object_get(run, "id")));
  _cleanup_(util_freep) char *serial = spool_path(dir, SPOOL_SERIAL, k);
  _cleanup_(util_freep) char *result = spool_path(dir, SPOOL_RESULT, k);
  _cleanup_(util_freep) char *text = json_dumps(run, JSON_COMPACT);
  int e = !log || !serial || !result || !text ? -ENOMEM : spool_copy_atomic(log, serial, true);
  if (e == -ENOENT) /* a run that ended before its log opened: an empty log */
    e = spool_write_atomic(serial, "", 0, true);
  if (e == 0) /* last: its presence says the task's results are all there */
    e = spool_write_atomic(result, text, strlen(text), true);
  if (e < 0)
    return cli_fail("slurm-task: cannot write the results into the spool", strdup(strerror(-e)));
  return 0;
}

int cli_cmd_slurm_task(const struct cli *cli, int argc, char **argv) {
  long k;
  if (argc != 3 || util_parse_long(argv[2], 0, 1000000, &k) < 0) {
    fprintf(stderr, "usage: minix-analysis slurm-task SPOOL_DIR K\n");
    return EXIT_USAGE;
  }
  _cleanup_(util_freep) char *task = spool_path(argv[1], SPOOL_TASK, k);
  json_error_t jerr;
  json_auto_t *req = task ? json_load_file(task, JSON_REJECT_DUPLICATES, &jerr) : NULL;
  if (!req)
    return cli_fail("slurm-task: cannot read the task", util_strdupf("%s: %s", task, jerr.text));
  const char *tmp = getenv("TMPDIR");
  _cleanup_(util_freep) char *state =
      util_strdupf("%s/minix-analysis-task-XXXXXX", tmp && *tmp ? tmp : "/tmp");
  if (!state || !mkdtemp(state))
    return cli_fail("slurm-task: cannot make a state dir", strdup(strerror(errno)));
  int r = boot_task(cli, argv[1], k, req, state);
  int e = spool_remove_tree(state);
  if (e < 0)
    fprintf(stderr, "minix-analysis: slurm-task: cannot remove %s: %s\n", state, strerror(-e));
  return r;
}

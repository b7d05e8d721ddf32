/* minix-analysis: the command-line face of the same operations as the REST API,
 * in-process on a state dir or against a daemon with --server. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "programs/cli/cli.h"
#include "programs/cli/cli_client.h"
#include "programs/cli/cli_print.h"
#include "programs/cli/client.h"
#include "core/context.h"
#include "lib/flags.h"
#include "core/images.h"
#include "lib/program_path.h"
#include "core/supervisor.h"
#include "lib/run.h"

static void usage(FILE *f) {
  fprintf(
      f,
      "usage: minix-analysis [--state-dir DIR [--qemu-dir DIR] | --server URL [--token T]] "
      "[--json] COMMAND ...\n"
      "commands:\n"
      "  boot --profile NAME (--kernel PATH [--initrd PATH]... [--append TEXT] | --iso PATH | "
      "--disk PATH |\n"
      "       --image ID) [--disk PATH] [--keep-overlay] [--scenario NAME] [--symbols]\n"
      "       [--arch A] [--cpus N] [--memory-mb N] [--until REGEX]\n"
      "       [--accel auto|kvm|tcg] [--accel-stall-s N] [--timeout-s N] [--silence-timeout-s N]\n"
      "       [--label TEXT] [--memory-sample-ms N] [--duration-s N]\n"
      "       [--clock host|virtual] [--icount-shift N]\n"
      "                       boot once and print the markers with their times\n"
      "  matrix --cpus 1,2,4,8 --samples N [--isolation exclusive|parallel] [--parallel N] BOOT "
      "OPTIONS\n"
      "                       boot every vCPU config N times, interleaved, and report statistics\n"
      "  report ID [--format text|json|csv|svg|latex]   the report of a matrix\n"
      "  compare BEFORE AFTER  difference of two matrices per config, with Welch's t test\n"
      "  trace BOOT OPTIONS [--tracer strace|trace] [--summary] -- COMMAND...\n"
      "                       boot, log in, run COMMAND under the guest's syscall tracer (strace "
      "on Linux,\n"
      "                       trace on MINIX), print the per-syscall table and the command's exit "
      "status\n"
      "  runs [--limit N] [--status S] [--profile P] [--label L] [--cursor C]\n"
      "                                               list runs, newest first\n"
      "  matrices [--limit N]                         list matrices, newest first\n"
      "  show ID              one run in full\n"
      "  image verify --iso PATH [--sha256 HEX]   verify and register a MINIX ISO; image list;\n"
      "  image delete ID      forget an image, delete its extracted files or installed disk\n"
      "  install (--iso PATH | --image ID) [--disk-mb N] [--scenario NAME | --scenario-file F]\n"
      "       [--disk-boot bios|kernel] [--append TEXT] [--no-verify] [--timeout-s N] [--accel A] "
      "[--memory-mb N]\n"
      "                       install onto a new qcow2 by playing the scenario (default "
      "minix-setup) on the\n"
      "                       serial console, check the disk boots, register it as a disk image\n"
      "  log delete ID... | log prune --older-than-days N [--dry-run]\n"
      "                       free disk space: delete finished runs' console logs (their "
      "measurements stay)\n"
      "  token create --name NAME [--read-only] | token list | token revoke ID\n"
      "                       bearer tokens for a daemon run with --auth (only their SHA-256 is "
      "kept)\n"
      "  serve [DAEMON OPTIONS]  run the daemon (same as minix-analysisd)\n"
      "  slurm-task SPOOL_DIR K  (run by Slurm on a node) boot task K of a matrix's spool\n"
      "                       directory in-process and write its result there\n"
      "--state-dir defaults to ./minix-analysis-data; --qemu-dir (where QEMU's programs are) to "
      "/usr/bin;\n"
      "--json prints machine-readable output;\n"
      "--token (or $MINIX_ANALYSIS_TOKEN) is sent as Authorization: Bearer to --server.\n"
      "Exit status: 0 ok, 1 the boot did not succeed, 2 bad usage or request, 3 other errors.\n");
}

int cli_print_json(json_t *j) {
  char *text = json_dumps(j, JSON_INDENT(2) | JSON_REAL_PRECISION(12));
  if (text)
    puts(text);
  free(text);
  return text ? 0 : EXIT_ERROR;
}

int cli_print_error(const struct cli *cli, json_t *body, bool request_at_fault) {
  json_t *e = json_object_get(body, "error");
  if (cli->json)
    cli_print_json(body);
  else
    fprintf(stderr, "minix-analysis: %s%s%s: %s\n", json_string_value(json_object_get(e, "code")),
            json_object_get(e, "field") ? " in " : "",
            json_object_get(e, "field") ? json_string_value(json_object_get(e, "field")) : "",
            json_string_value(json_object_get(e, "message")));
  return request_at_fault ? EXIT_USAGE : EXIT_ERROR;
}

static int run_exit(const struct cli *cli, json_t *run) {
  if (cli->json)
    cli_print_json(run);
  else
    cli_print_run(stdout, run);
  return strcmp(json_string_value(json_object_get(run, "status")), "succeeded") == 0
             ? 0
             : EXIT_RUN_FAILED;
}

int cli_fail(const char *what, char *err) {
  fprintf(stderr, "minix-analysis: %s%s%s\n", what, err ? ": " : "", err ? err : "");
  free(err);
  return EXIT_ERROR;
}

int cli_open_read(const struct cli *cli, struct ma_context *ctx) {
  struct ma_options opt = {.state_dir = cli->state_dir,
                           .profile_dir = cli->profile_dir,
                           .qemu_dir = cli->qemu_dir,
                           .max_running = 1,
                           .max_queued = 1};
  char *err = NULL;
  int r = context_open(ctx, uv_default_loop(), &opt, &err);
  if (r < 0) {
    cli_fail("cannot open the state dir", err);
    context_close(ctx);
  }
  return r;
}

/* --- commands --- */

struct boot_watch {
  bool verbose;
};

static void on_boot_event(void *userdata, const char *event, json_t *data) {
  struct boot_watch *w = userdata;
  if (w->verbose && strcmp(event, "marker") == 0)
    fprintf(stderr, "  %10.3f ms  %s\n", json_number_value(json_object_get(data, "t_ms")),
            json_string_value(json_object_get(data, "name")));
}

/* Starts the boot, follows its events to the end, prints the run. */
int cli_boot(struct client *c, json_t *req, json_t **run) {
  json_auto_t *accepted = NULL, *which = NULL;
  struct ma_error err;
  struct boot_watch watch = {!c->cli->json && isatty(STDERR_FILENO)};
  if (client_call(c, CLIENT_BOOT, req, &accepted, &err) < 0)
    return client_fail(c, &err);
  const char *id = json_string_value(json_object_get(accepted, "id"));
  if (!c->cli->json)
    fprintf(stderr, "run %s\n", id);
  which = json_pack("{s:s}", "id", id);
  if (client_follow_run(c, id, on_boot_event, &watch, &err) < 0 ||
      client_call(c, CLIENT_RUN_GET, which, run, &err) < 0)
    return client_fail(c, &err);
  return 0;
}

static int boot_and_wait(struct client *c, json_t *req) {
  json_auto_t *run = NULL;
  int r = cli_boot(c, req, &run);
  return r ? r : run_exit(c->cli, run);
}

static int cmd_boot(const struct cli *cli, int argc, char **argv) {
  json_auto_t *req = json_object();
  if (cli_parse_request(argc, argv, false, req) < 0) {
    usage(stderr);
    return EXIT_USAGE;
  }
  struct client c;
  if (client_open(&c, cli, CLIENT_RUN, json_string_value(json_object_get(req, "accel")), 1, 1) < 0)
    return EXIT_ERROR;
  int r = boot_and_wait(&c, req);
  client_close(&c);
  return r;
}

/* One call, its answer printed by show (or as JSON with --json). */
static int call_and_show(const struct cli *cli, enum client_op op, json_t *args,
                         void (*show)(FILE *, json_t *)) {
  struct client c;
  if (client_open(&c, cli, CLIENT_READ, NULL, 0, 0) < 0)
    return EXIT_ERROR;
  json_auto_t *out = NULL;
  struct ma_error err;
  int r = client_call(&c, op, args, &out, &err) < 0 ? client_fail(&c, &err)
          : cli->json                               ? cli_print_json(out)
                                                    : (show(stdout, out), 0);
  client_close(&c);
  return r;
}

static int cmd_runs(const struct cli *cli, int argc, char **argv) {
  static const struct option opts[] = {{"limit", 1, 0, 'n'},  {"status", 1, 0, 's'},
                                       {"cursor", 1, 0, 'c'}, {"profile", 1, 0, 'p'},
                                       {"label", 1, 0, 'l'},  {0, 0, 0, 0}};
  json_auto_t *args = json_pack("{s:i}", "limit", 20);
  int c;
  optind = 0; /* 0, not 1: GNU getopt then forgets the "+" mode of the global options */
  while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    if (c == '?')
      return EXIT_USAGE;
    /* Checked by the operation itself (ops_runs_query), as for GET /api/v1/runs and MCP runs_list.
     */
    json_object_set_new(args,
                        c == 'n'   ? "limit"
                        : c == 's' ? "status"
                        : c == 'p' ? "profile"
                        : c == 'l' ? "label"
                                   : "cursor",
                        json_string(optarg));
  }
  return call_and_show(cli, CLIENT_RUNS_LIST, args, cli_print_runs);
}

static int cmd_matrices(const struct cli *cli, int argc, char **argv) {
  static const struct option opts[] = {{"limit", 1, 0, 'n'}, {0, 0, 0, 0}};
  json_auto_t *args = json_pack("{s:i}", "limit", 20);
  int c;
  optind = 0;
  while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    if (c == '?')
      return EXIT_USAGE;
    json_object_set_new(args, "limit", json_string(optarg)); /* checked by ops_matrices_list */
  }
  return call_and_show(cli, CLIENT_MATRICES_LIST, args, cli_print_matrices);
}

static int cmd_show(const struct cli *cli, int argc, char **argv) {
  if (argc != 2) {
    usage(stderr);
    return EXIT_USAGE;
  }
  json_auto_t *args = json_pack("{s:s}", "id", argv[1]);
  return call_and_show(cli, CLIENT_RUN_GET, args, cli_print_run);
}

/* `serve`: the daemon is its own program (the CLI links no HTTP server); run it in this process's
 * place, with the options that follow. */
static int serve(char **argv) {
  char path[PATH_MAX];
  if (program_path("minix-analysisd", MA_SBINDIR, path) < 0) {
    fprintf(stderr, "minix-analysis: serve: %s is not installed (nor beside this program)\n", path);
    return EXIT_FAILURE;
  }
  argv[0] = path;
  execv(path, argv);
  fprintf(stderr, "minix-analysis: serve: cannot run %s: %s\n", path, strerror(errno));
  return EXIT_FAILURE;
}

int main(int argc, char **argv) {
  supervisor_exec_helper(argc, argv);
  static const struct option opts[] = {
      {"state-dir", 1, 0, 's'},   {"server", 1, 0, 'S'},   {"json", 0, 0, 'j'},
      {"profile-dir", 1, 0, 'p'}, {"help", 0, 0, 'h'},     {"version", 0, 0, 'V'},
      {"token", 1, 0, 't'},       {"qemu-dir", 1, 0, 'q'}, {0, 0, 0, 0}};
  struct cli cli = {.state_dir = "./minix-analysis-data"};
  int c;
  while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
    switch (c) {
    case 's': cli.state_dir = optarg; break;
    case 'S': cli.server = optarg; break;
    case 'j': cli.json = true; break;
    case 'p': cli.profile_dir = optarg; break;
    case 'q': cli.qemu_dir = optarg; break;
    case 't': setenv("MINIX_ANALYSIS_TOKEN", optarg, 1); break; /* read by the HTTP client */
    case 'h': usage(stdout); return 0;
    case 'V': printf("minix-analysis %s\n", MA_VERSION); return 0;
    default: usage(stderr); return EXIT_USAGE;
    }
  }
  if (optind >= argc) {
    usage(stderr);
    return EXIT_USAGE;
  }
  signal(SIGPIPE, SIG_IGN);
  const char *cmd = argv[optind];
  int sub_argc = argc - optind;
  char **sub_argv = argv + optind;
  if (strcmp(cmd, "boot") == 0)
    return cmd_boot(&cli, sub_argc, sub_argv);
  if (strcmp(cmd, "runs") == 0)
    return cmd_runs(&cli, sub_argc, sub_argv);
  if (strcmp(cmd, "matrices") == 0)
    return cmd_matrices(&cli, sub_argc, sub_argv);
  if (strcmp(cmd, "show") == 0)
    return cmd_show(&cli, sub_argc, sub_argv);
  if (strcmp(cmd, "matrix") == 0)
    return cli_cmd_matrix(&cli, sub_argc, sub_argv);
  if (strcmp(cmd, "compare") == 0)
    return cli_cmd_compare(&cli, sub_argc, sub_argv);
  if (strcmp(cmd, "report") == 0)
    return cli_cmd_report(&cli, sub_argc, sub_argv);
  if (strcmp(cmd, "image") == 0)
    return cli_cmd_image(&cli, sub_argc, sub_argv);
  if (strcmp(cmd, "install") == 0)
    return cli_cmd_install(&cli, sub_argc, sub_argv);
  if (strcmp(cmd, "trace") == 0)
    return cli_cmd_trace(&cli, sub_argc, sub_argv);
  if (strcmp(cmd, "log") == 0)
    return cli_cmd_log(&cli, sub_argc, sub_argv);
  if (strcmp(cmd, "token") == 0)
    return cli_cmd_token(&cli, sub_argc, sub_argv);
  if (strcmp(cmd, "serve") == 0)
    return serve(sub_argv);
  if (strcmp(cmd, "slurm-task") == 0)
    return cli_cmd_slurm_task(&cli, sub_argc, sub_argv);
  fprintf(stderr, "minix-analysis: unknown command %s\n", cmd);
  usage(stderr);
  return EXIT_USAGE;
}

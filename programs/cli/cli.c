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
#include "core/context.h"
#include "core/loop_close.h"
#include "lib/flags.h"
#include "core/images.h"
#include "lib/program_path.h"
#include "core/supervisor.h"
#include "lib/run.h"


static void usage(FILE *f) {
  fprintf(f,
          "usage: minix-analysis [--state-dir DIR [--qemu-dir DIR] | --server URL [--token T]] [--json] COMMAND ...\n"
          "commands:\n"
          "  boot --profile NAME (--kernel PATH [--initrd PATH]... [--append TEXT] | --iso PATH | --disk PATH |\n"
          "       --image ID) [--disk PATH] [--keep-overlay] [--scenario NAME] [--symbols]\n"
          "       [--arch A] [--cpus N] [--memory-mb N] [--until REGEX]\n"
          "       [--accel auto|kvm|tcg] [--accel-stall-s N] [--timeout-s N] [--silence-timeout-s N]\n"
          "       [--label TEXT] [--memory-sample-ms N] [--duration-s N]\n"
          "                       boot once and print the markers with their times\n"
          "  matrix --cpus 1,2,4,8 --samples N [--isolation exclusive|parallel] [--parallel N] BOOT OPTIONS\n"
          "                       boot every vCPU config N times, interleaved, and report statistics\n"
          "  report ID [--format text|json|csv|svg|latex]   the report of a matrix\n"
          "  compare BEFORE AFTER  difference of two matrices per config, with Welch's t test\n"
          "  trace BOOT OPTIONS [--tracer strace|trace] [--summary] -- COMMAND...\n"
          "                       boot, log in, run COMMAND under the guest's syscall tracer (strace on Linux,\n"
          "                       trace on MINIX), print the per-syscall table and the command's exit status\n"
          "  runs [--limit N] [--status S] [--cursor C]   list runs, newest first\n"
          "  show ID              one run in full\n"
          "  image verify --iso PATH [--sha256 HEX]   verify and register a MINIX ISO; image list;\n"
          "  image delete ID      forget an image, delete its extracted files or installed disk\n"
          "  install (--iso PATH | --image ID) [--disk-mb N] [--scenario NAME | --scenario-file F]\n"
          "       [--disk-boot bios|kernel] [--append TEXT] [--no-verify] [--timeout-s N] [--accel A] [--memory-mb N]\n"
          "                       install onto a new qcow2 by playing the scenario (default minix-setup) on the\n"
          "                       serial console, check the disk boots, register it as a disk image\n"
          "  log delete ID... | log prune --older-than-days N [--dry-run]\n"
          "                       free disk space: delete finished runs' console logs (their measurements stay)\n"
          "  token create --name NAME [--read-only] | token list | token revoke ID\n"
          "                       bearer tokens for a daemon run with --auth (only their SHA-256 is kept)\n"
          "  serve [DAEMON OPTIONS]  run the daemon (same as minix-analysisd)\n"
          "--state-dir defaults to ./minix-analysis-data; --qemu-dir (where QEMU's programs are) to /usr/bin;\n"
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
            json_object_get(e, "field") ? " in " : "", json_object_get(e, "field") ? json_string_value(json_object_get(e, "field")) : "",
            json_string_value(json_object_get(e, "message")));
  return request_at_fault ? EXIT_USAGE : EXIT_ERROR;
}

static int run_exit(const struct cli *cli, json_t *run) {
  if (cli->json)
    cli_print_json(run);
  else
    cli_print_run(stdout, run);
  return strcmp(json_string_value(json_object_get(run, "status")), "succeeded") == 0 ? 0 : EXIT_RUN_FAILED;
}

int cli_fail(const char *what, char *err) {
  fprintf(stderr, "minix-analysis: %s%s%s\n", what, err ? ": " : "", err ? err : "");
  free(err);
  return EXIT_ERROR;
}

/* --- talking to a daemon --- */

int cli_remote(const struct cli *cli, const char *method, const char *path, json_t *body, json_t **reply) {
  _cleanup_(util_freep) char *url = util_strdupf("%s%s", cli->server, path);
  long status = 0;
  char *err = NULL;
  *reply = NULL;
  if (cli_http(method, url, body, &status, reply, &err) < 0)
    return cli_fail("cannot reach the daemon", err);
  if (status >= 400) {
    int r = *reply ? cli_print_error(cli, *reply, status >= 400 && status < 500) : cli_fail("the daemon answered an error without a body", NULL);
    json_decref(*reply);
    *reply = NULL;
    return r;
  }
  return *reply ? 0 : cli_fail("the daemon answered something that is not JSON", NULL);
}

static int remote_boot(const struct cli *cli, json_t *req) {
  json_t *accepted, *run = NULL;
  int r = cli_remote(cli, "POST", "/api/v1/boots", req, &accepted);
  if (r)
    return r;
  _cleanup_(util_freep) char *path = util_strdupf("/api/v1/runs/%s", json_string_value(json_object_get(accepted, "id")));
  json_decref(accepted);
  if (!cli->json)
    fprintf(stderr, "submitted; waiting for %s\n", path);
  for (;;) {
    r = cli_remote(cli, "GET", path, NULL, &run);
    if (r || run_status_final(json_string_value(json_object_get(run, "status"))))
      break;
    json_decref(run);
    usleep(250000);
  }
  if (r == 0)
    r = run_exit(cli, run);
  json_decref(run);
  return r;
}

/* --- in-process --- */

struct local_wait {
  bool done, verbose;
};

static void on_local_event(void *userdata, const struct jobs_event *ev) {
  struct local_wait *w = userdata;
  if (ev->kind == JOBS_EV_MARKER && w->verbose)
    fprintf(stderr, "  %10.3f ms  %s\n", json_number_value(json_object_get(ev->data, "t_ms")),
            json_string_value(json_object_get(ev->data, "name")));
  if (ev->kind == JOBS_EV_END)
    w->done = true;
}

static int local_boot(const struct cli *cli, json_t *req) {
  const char *accel = json_string_value(json_object_get(req, "accel"));
  struct ma_options opt = {.state_dir = cli->state_dir, .profile_dir = cli->profile_dir,
                           .qemu_dir = cli->qemu_dir, .run_jobs = true,
                           .probe_kvm = !accel || strcmp(accel, "tcg") != 0, .max_running = 1, .max_queued = 1};
  struct ma_context ctx;
  char *err = NULL;
  uv_loop_t *loop = uv_default_loop();
  int r = context_open(&ctx, loop, &opt, &err);
  struct boot_spec *spec = NULL;
  struct ma_error merr;
  char id[UTIL_ID_LEN + 1];
  struct local_wait wait = {false, !cli->json && isatty(STDERR_FILENO)};
  if (r < 0) {
    r = cli_fail("cannot open the state dir", err);
  } else if (images_boot_spec(ctx.store, ctx.state_dir, &ctx.env, req, &spec, &merr) < 0) {
    json_t *body = ma_error_json(&merr);
    r = cli_print_error(cli, body, ma_error_is_request(&merr));
    json_decref(body);
  } else if ((r = jobs_submit(ctx.jobs, spec, id)) < 0) {
    r = cli_fail("cannot queue the boot", strdup(strerror(-r)));
  } else {
    struct jobs_sub *sub = jobs_subscribe(ctx.jobs, id, on_local_event, &wait);
    while (sub && !wait.done)
      uv_run(loop, UV_RUN_ONCE);
    jobs_unsubscribe(sub);
    struct run run;
    store_run_get(ctx.store, id, &run);
    json_t *j = run_to_json(&run, profile_set_find(ctx.profiles, run.profile));
    run_clear(&run);
    r = run_exit(cli, j);
    json_decref(j);
  }
  /* Let the closed handles' callbacks run before the loop goes. */
  uv_run(loop, UV_RUN_NOWAIT);
  context_close(&ctx);
  loop_close(loop, stderr, "minix-analysis");
  return r;
}

int cli_open_read(const struct cli *cli, struct ma_context *ctx) {
  struct ma_options opt = {.state_dir = cli->state_dir, .profile_dir = cli->profile_dir,
                           .qemu_dir = cli->qemu_dir, .max_running = 1,
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

static int cmd_boot(const struct cli *cli, int argc, char **argv) {
  json_auto_t *req = json_object();
  if (cli_parse_request(argc, argv, false, req) < 0) {
    usage(stderr);
    return EXIT_USAGE;
  }
  return cli->server ? remote_boot(cli, req) : local_boot(cli, req);
}

static int show_page(const struct cli *cli, json_t *page) {
  if (cli->json)
    return cli_print_json(page);
  cli_print_runs(stdout, page);
  return 0;
}

static int cmd_runs(const struct cli *cli, int argc, char **argv) {
  static const struct option opts[] = {{"limit", 1, 0, 'n'}, {"status", 1, 0, 's'}, {"cursor", 1, 0, 'c'}, {0, 0, 0, 0}};
  const char *status = NULL;
  int c, limit = 20;
  long cursor = 0;
  optind = 0; /* 0, not 1: GNU getopt then forgets the "+" mode of the global options */
  while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    /* The bounds of GET /api/v1/runs, so that both ends refuse the same values. */
    if (c == 'n' && flag_int("minix-analysis", "limit", optarg, 1, 1000, &limit) < 0)
      return EXIT_USAGE;
    else if (c == 'c' && flag_long("minix-analysis", "cursor", optarg, 1, LONG_MAX, &cursor) < 0)
      return EXIT_USAGE;
    else if (c == 's')
      status = optarg;
    else if (c != 'n' && c != 'c')
      return EXIT_USAGE;
  }
  json_t *page = NULL;
  int r;
  if (cli->server) {
    _cleanup_(util_freep) char *path = util_strdupf("/api/v1/runs?limit=%d%s%s", limit, status ? "&status=" : "",
                                                    status ? status : "");
    if (path && cursor) {
      char *more = util_strdupf("%s&cursor=%ld", path, cursor);
      free(path);
      path = more;
    }
    r = cli_remote(cli, "GET", path, NULL, &page);
  } else {
    struct ma_context ctx;
    if ((r = cli_open_read(cli, &ctx)) < 0)
      return EXIT_ERROR;
    json_t *runs;
    int64_t next;
    r = store_runs_list(ctx.store, limit, cursor, status, &runs, &next);
    if (r == 0) {
      page = json_pack("{s:o}", "runs", runs);
      json_object_set_new(page, "next_cursor", next ? json_sprintf("%lld", (long long)next) : json_null());
    }
    context_close(&ctx);
    r = r < 0 ? cli_fail("cannot list runs", NULL) : 0;
  }
  if (r == 0)
    r = show_page(cli, page);
  json_decref(page);
  return r;
}

static int cmd_show(const struct cli *cli, int argc, char **argv) {
  if (argc != 2) {
    usage(stderr);
    return EXIT_USAGE;
  }
  json_t *run = NULL;
  int r;
  if (cli->server) {
    _cleanup_(util_freep) char *path = util_strdupf("/api/v1/runs/%s", argv[1]);
    r = cli_remote(cli, "GET", path, NULL, &run);
  } else {
    struct ma_context ctx;
    if (cli_open_read(cli, &ctx) < 0)
      return EXIT_ERROR;
    struct run rec;
    r = util_is_id(argv[1]) ? store_run_get(ctx.store, argv[1], &rec) : -ENOENT;
    if (r == 0)
      run = run_to_json(&rec, profile_set_find(ctx.profiles, rec.profile));
    else
      r = cli_fail("no run with this id", strdup(argv[1]));
    run_clear(&rec);
    context_close(&ctx);
  }
  if (r == 0) {
    r = cli->json ? cli_print_json(run) : (cli_print_run(stdout, run), 0);
  }
  json_decref(run);
  return r;
}

/* `serve`: the daemon is its own program (the CLI links no HTTP server); run it in this process's place,
 * with the options that follow. */
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
  static const struct option opts[] = {{"state-dir", 1, 0, 's'}, {"server", 1, 0, 'S'}, {"json", 0, 0, 'j'},
                                       {"profile-dir", 1, 0, 'p'}, {"help", 0, 0, 'h'}, {"version", 0, 0, 'V'},
                                       {"token", 1, 0, 't'}, {"qemu-dir", 1, 0, 'q'},
                                       {0, 0, 0, 0}};
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
  fprintf(stderr, "minix-analysis: unknown command %s\n", cmd);
  usage(stderr);
  return EXIT_USAGE;
}

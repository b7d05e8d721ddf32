/* minix-analysis matrix / report: vCPU x samples matrices from the CLI. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "programs/cli/cli.h"
#include "programs/cli/cli_client.h"
#include "core/images.h"
#include "core/loop_close.h"
#include "lib/matrix.h"
#include "lib/matrix_compare.h"
#include "lib/matrix_render.h"
#include "lib/matrix_report.h"

#define BAR_WIDTH 30

struct progress {
  bool tty, ended;
};

static void show_progress(struct progress *p, int done, int total, const char *last) {
  if (!p->tty) {
    fprintf(stderr, "%d/%d %s\n", done, total, last);
    return;
  }
  int fill = total ? done * BAR_WIDTH / total : 0;
  fprintf(stderr, "\r[%.*s%*s] %d/%d runs  %-40.40s", fill, "##############################", BAR_WIDTH - fill, "",
          done, total, last);
  if (done == total)
    fputc('\n', stderr);
  fflush(stderr);
}

static void on_progress(void *userdata, int done, int total, int cpus, const char *status, double boot_ms) {
  char last[96];
  if (isfinite(boot_ms))
    snprintf(last, sizeof last, "last: %d vCPU %s in %.3f ms", cpus, status, boot_ms);
  else
    snprintf(last, sizeof last, "last: %d vCPU %s", cpus, status);
  show_progress(userdata, done, total, last);
}

static void on_ended(void *userdata, const char *status) {
  struct progress *p = userdata;
  (void)status;
  p->ended = true;
}

/* Prints the report as asked; exit 0 only when every run succeeded. */
static int print_report(const struct cli *cli, json_t *report, const char *format, json_t *runs) {
  if (strcmp(format, "json") == 0 || cli->json) {
    cli_print_json(report);
  } else {
    char *text = strcmp(format, "csv") == 0     ? matrix_report_csv(runs)
                 : strcmp(format, "svg") == 0   ? matrix_report_svg(report)
                 : strcmp(format, "latex") == 0 ? matrix_report_latex(report)
                                                : matrix_report_text(report);
    fputs(text, stdout);
    free(text);
  }
  json_t *progress = json_object_get(report, "progress");
  bool all_ok = json_integer_value(json_object_get(progress, "succeeded")) ==
                json_integer_value(json_object_get(progress, "total"));
  return all_ok ? 0 : EXIT_RUN_FAILED;
}

/* The report of a stored matrix (and its runs when runs_out is given); NULL after saying why. */
static json_t *load_report(struct ma_context *ctx, const char *id, json_t **runs_out) {
  json_t *report;
  if (matrix_report_load(ctx->store, id, &report, runs_out) < 0) {
    cli_fail("no matrix with this id", strdup(id));
    return NULL;
  }
  return report;
}

static int local_report(const struct cli *cli, struct ma_context *ctx, const char *id, const char *format) {
  json_t *runs = NULL, *report = load_report(ctx, id, &runs);
  if (!report)
    return EXIT_ERROR;
  int r = print_report(cli, report, format, runs);
  json_decref(report);
  json_decref(runs);
  return r;
}

static int local_matrix(const struct cli *cli, json_t *req) {
  const char *accel = json_string_value(json_object_get(req, "accel"));
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  struct ma_options opt = {.state_dir = cli->state_dir, .profile_dir = cli->profile_dir,
                           .qemu_dir = cli->qemu_dir, .run_jobs = true,
                           .probe_kvm = !accel || strcmp(accel, "tcg") != 0,
                           .max_running = cores > 0 ? (int)cores : 1,
                           /* this process runs this one matrix: every run it can have may wait */
                           .max_queued = MATRIX_MAX_CONFIGS * MATRIX_MAX_SAMPLES};
  struct ma_context ctx;
  char *err = NULL;
  uv_loop_t *loop = uv_default_loop();
  int r = context_open(&ctx, loop, &opt, &err);
  struct matrix_spec *spec = NULL;
  struct ma_error merr;
  struct progress progress = {isatty(STDERR_FILENO), false};
  struct matrix_watch watch = {on_progress, on_ended, &progress};
  char id[UTIL_ID_LEN + 1];
  if (r < 0) {
    r = cli_fail("cannot open the state dir", err);
  } else if (images_matrix_spec(ctx.store, ctx.state_dir, &ctx.env, ctx.host_cores, req, &spec, &merr) < 0) {
    json_t *body = ma_error_json(&merr);
    r = cli_print_error(cli, body, ma_error_is_request(&merr));
    json_decref(body);
  } else if (matrices_start(ctx.matrices, spec, &watch, id, &merr) < 0) {
    json_t *body = ma_error_json(&merr);
    r = cli_print_error(cli, body, ma_error_is_request(&merr));
    json_decref(body);
  } else {
    fprintf(stderr, "matrix %s\n", id);
    while (!progress.ended)
      uv_run(loop, UV_RUN_ONCE);
    r = local_report(cli, &ctx, id, "text");
  }
  uv_run(loop, UV_RUN_NOWAIT);
  context_close(&ctx);
  loop_close(loop, stderr, "minix-analysis");
  return r;
}

static int remote_matrix(const struct cli *cli, json_t *req) {
  json_t *accepted, *report = NULL;
  int r = cli_remote(cli, "POST", "/api/v1/matrices", req, &accepted);
  if (r)
    return r;
  _cleanup_(util_freep) char *path =
      util_strdupf("/api/v1/matrices/%s", json_string_value(json_object_get(accepted, "id")));
  fprintf(stderr, "matrix %s\n", json_string_value(json_object_get(accepted, "id")));
  json_decref(accepted);
  struct progress progress = {isatty(STDERR_FILENO), false};
  json_int_t shown = -1;
  for (;;) {
    r = cli_remote(cli, "GET", path, NULL, &report);
    if (r)
      return r;
    json_t *p = json_object_get(report, "progress");
    json_int_t done = json_integer_value(json_object_get(p, "done"));
    if (done != shown)
      show_progress(&progress, (int)done, (int)json_integer_value(json_object_get(p, "total")), "");
    shown = done;
    if (strcmp(json_string_value(json_object_get(report, "status")), "running") != 0)
      break;
    json_decref(report);
    usleep(500000);
  }
  r = print_report(cli, report, "text", NULL);
  json_decref(report);
  return r;
}

int cli_cmd_matrix(const struct cli *cli, int argc, char **argv) {
  json_auto_t *req = json_object();
  if (cli_parse_request(argc, argv, true, req) < 0) {
    fprintf(stderr, "minix-analysis: bad matrix options; see minix-analysis --help\n");
    return EXIT_USAGE;
  }
  return cli->server ? remote_matrix(cli, req) : local_matrix(cli, req);
}

/* GETs path?format=... from the daemon and prints the body as it comes. */
static int remote_text(const struct cli *cli, const char *path, const char *format) {
  _cleanup_(util_freep) char *url = util_strdupf("%s%s?format=%s", cli->server, path, cli->json ? "json" : format);
  long status = 0;
  char *text = NULL, *err = NULL;
  if (cli_http_raw("GET", url, NULL, &status, &text, &err) < 0)
    return cli_fail("cannot reach the daemon", err);
  int r = 0;
  if (status >= 400) {
    json_t *body = json_loads(text, 0, NULL);
    r = body ? cli_print_error(cli, body, status >= 400 && status < 500) : cli_fail("the daemon answered an error", NULL);
    json_decref(body);
  } else {
    fputs(text, stdout);
  }
  free(text);
  return r;
}

int cli_cmd_report(const struct cli *cli, int argc, char **argv) {
  static const struct option opts[] = {{"format", 1, 0, 'f'}, {0, 0, 0, 0}};
  const char *format = "text";
  int c;
  optind = 0; /* 0, not 1: GNU getopt then forgets the "+" mode of the global options */
  while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    if (c != 'f')
      return EXIT_USAGE;
    format = optarg;
  }
  static const char *const formats = " text json csv svg latex ";
  _cleanup_(util_freep) char *key = util_strdupf(" %s ", format);
  if (optind != argc - 1 || !strstr(formats, key)) {
    fprintf(stderr, "usage: minix-analysis report ID [--format text|json|csv|svg|latex]\n");
    return EXIT_USAGE;
  }
  if (cli->server) {
    _cleanup_(util_freep) char *path = util_strdupf("/api/v1/matrices/%s/report", argv[optind]);
    return remote_text(cli, path, format);
  }
  struct ma_context ctx;
  if (cli_open_read(cli, &ctx) < 0)
    return EXIT_ERROR;
  int r = local_report(cli, &ctx, argv[optind], format);
  context_close(&ctx);
  return r;
}

int cli_cmd_compare(const struct cli *cli, int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: minix-analysis compare BEFORE_ID AFTER_ID\n");
    return EXIT_USAGE;
  }
  if (cli->server) {
    _cleanup_(util_freep) char *path = util_strdupf("/api/v1/matrices/%s/compare/%s", argv[1], argv[2]);
    return remote_text(cli, path, "text");
  }
  struct ma_context ctx;
  if (cli_open_read(cli, &ctx) < 0)
    return EXIT_ERROR;
  json_t *before = load_report(&ctx, argv[1], NULL);
  json_t *after = before ? load_report(&ctx, argv[2], NULL) : NULL;
  int r = EXIT_ERROR;
  if (after) {
    json_t *cmp = matrix_compare(before, after);
    if (cli->json) {
      r = cli_print_json(cmp);
    } else {
      char *text = matrix_compare_text(cmp);
      fputs(text, stdout);
      free(text);
      r = 0;
    }
    json_decref(cmp);
  }
  json_decref(before);
  json_decref(after);
  context_close(&ctx);
  return r;
}

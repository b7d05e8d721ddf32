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
#include "programs/cli/client.h"
#include "core/images.h"
#include "lib/matrix.h"
#include "lib/matrix_compare.h"
#include "lib/matrix_render.h"
#include "lib/matrix_report.h"

#define BAR_WIDTH 30

struct progress {
  bool tty;
};

static void show_progress(void *userdata, int done, int total, const char *status) {
  struct progress *p = userdata;
  if (!p->tty) {
    fprintf(stderr, "%d/%d %s\n", done, total, status);
    return;
  }
  int fill = total ? done * BAR_WIDTH / total : 0;
  fprintf(stderr, "\r[%.*s%*s] %d/%d runs  %-12.12s", fill, "##############################",
          BAR_WIDTH - fill, "", done, total, status);
  if (done == total || strcmp(status, "running") != 0)
    fputc('\n', stderr);
  fflush(stderr);
}

/* A matrix's report as asked: JSON as stored, other formats rendered by the core's renderers (here
 * or in the daemon). Exit 0 only when every run succeeded, for `matrix` and `report` alike,
 * in-process or through a daemon. */
static int print_outcome(struct client *c, const char *id, const char *format) {
  json_auto_t *args = json_pack("{s:s, s:s}", "id", id, "format", format), *report = NULL,
              *text = NULL;
  struct ma_error err;
  bool json = c->cli->json || strcmp(format, "json") == 0;
  if (client_call(c, CLIENT_MATRIX_GET, args, &report, &err) < 0 ||
      (!json && client_call(c, CLIENT_MATRIX_RENDER, args, &text, &err) < 0))
    return client_fail(c, &err);
  if (json)
    cli_print_json(report);
  else
    fputs(json_string_value(json_object_get(text, "text")), stdout);
  json_t *progress = json_object_get(report, "progress");
  bool all_ok = json_integer_value(json_object_get(progress, "succeeded")) ==
                json_integer_value(json_object_get(progress, "total"));
  return all_ok ? 0 : EXIT_RUN_FAILED;
}

static int matrix_and_wait(struct client *c, json_t *req) {
  json_auto_t *accepted = NULL;
  struct ma_error err;
  if (client_call(c, CLIENT_MATRIX_START, req, &accepted, &err) < 0)
    return client_fail(c, &err);
  const char *id = json_string_value(json_object_get(accepted, "id"));
  fprintf(stderr, "matrix %s\n", id);
  struct progress progress = {isatty(STDERR_FILENO)};
  if (client_follow_matrix(c, id, show_progress, &progress, &err) < 0)
    return client_fail(c, &err);
  return print_outcome(c, id, "text");
}

int cli_cmd_matrix(const struct cli *cli, int argc, char **argv) {
  json_auto_t *req = json_object();
  if (cli_parse_request(argc, argv, true, req) < 0) {
    fprintf(stderr, "minix-analysis: bad matrix options; see minix-analysis --help\n");
    return EXIT_USAGE;
  }
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  struct client c;
  /* In-process, this process runs this one matrix: every run it can have may wait. */
  if (client_open(&c, cli, CLIENT_RUN, json_string_value(json_object_get(req, "accel")),
                  cores > 0 ? (int)cores : 1, MATRIX_MAX_CONFIGS * MATRIX_MAX_SAMPLES) < 0)
    return EXIT_ERROR;
  int r = matrix_and_wait(&c, req);
  client_close(&c);
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
  struct client cl;
  if (client_open(&cl, cli, CLIENT_READ, NULL, 0, 0) < 0)
    return EXIT_ERROR;
  int r = print_outcome(&cl, argv[optind], format);
  client_close(&cl);
  return r;
}

int cli_cmd_compare(const struct cli *cli, int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: minix-analysis compare BEFORE_ID AFTER_ID\n");
    return EXIT_USAGE;
  }
  struct client c;
  if (client_open(&c, cli, CLIENT_READ, NULL, 0, 0) < 0)
    return EXIT_ERROR;
  json_auto_t *args = json_pack("{s:s, s:s}", "id", argv[1], "other", argv[2]), *cmp = NULL;
  struct ma_error err;
  int r;
  if (client_call(&c, CLIENT_MATRIX_COMPARE, args, &cmp, &err) < 0) {
    r = client_fail(&c, &err);
  } else if (cli->json) {
    r = cli_print_json(cmp);
  } else {
    char *text = matrix_compare_text(cmp);
    fputs(text, stdout);
    free(text);
    r = 0;
  }
  client_close(&c);
  return r;
}

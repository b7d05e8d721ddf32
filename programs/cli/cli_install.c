/* minix-analysis install: an unattended install from an ISO (registered on
 * the way) onto a new disk, in-process or through a daemon, printing each
 * scenario step as it happens. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/ops.h"
#include "programs/cli/cli.h"
#include "core/images.h"
#include "core/loop_close.h"
#include "lib/util.h"

#define POLL_MS 250

static const char *const final_statuses[] = {"succeeded", "failed", "cancelled", "interrupted", NULL};

static bool is_final(json_t *doc) {
  const char *st = json_string_value(json_object_get(doc, "status"));
  for (const char *const *f = final_statuses; st && *f; f++)
    if (strcmp(st, *f) == 0)
      return true;
  return false;
}

/* One line per new phase or scenario step. */
static void show_progress(json_t *doc, char *last, size_t cap) {
  json_t *p = json_object_get(doc, "progress");
  const char *status = json_string_value(json_object_get(doc, "status"));
  const char *step = json_string_value(json_object_get(p, "step"));
  const char *text = json_string_value(json_object_get(p, "text"));
  char now[512];
  snprintf(now, sizeof now, "%-13s %s%s%s", status ? status : "?", step ? step : "", step ? ": " : "",
           text ? text : "");
  if (strcmp(now, last) != 0)
    fprintf(stderr, "  %s\n", now);
  snprintf(last, cap, "%s", now);
}

static int finish(const struct cli *cli, json_t *doc) {
  if (cli->json) {
    cli_print_json(doc);
  } else {
    json_t *err = json_object_get(doc, "error");
    printf("install %s: %s\n", json_string_value(json_object_get(doc, "id")),
           json_string_value(json_object_get(doc, "status")));
    if (err)
      printf("  error %s: %s\n", json_string_value(json_object_get(err, "code")),
             json_string_value(json_object_get(err, "message")));
    if (json_object_get(doc, "disk_image"))
      printf("  disk image %s\n  path %s\n  sha256 %s\n  base unchanged by the verification boot: %s\n",
             json_string_value(json_object_get(doc, "disk_image")), json_string_value(json_object_get(doc, "disk")),
             json_string_value(json_object_get(doc, "sha256")),
             json_is_true(json_object_get(doc, "base_unchanged_by_verify")) ? "yes" : "not checked");
    if (json_object_get(doc, "verify_boot_ms"))
      printf("  verification boot to login: %.3f ms\n", json_real_value(json_object_get(doc, "verify_boot_ms")));
  }
  return strcmp(json_string_value(json_object_get(doc, "status")), "succeeded") == 0 ? 0 : EXIT_RUN_FAILED;
}

static int print_error(const struct cli *cli, const struct ma_error *err) {
  json_t *body = ma_error_json(err);
  int r = cli_print_error(cli, body, ma_error_is_request(err));
  json_decref(body);
  return r;
}

struct local_poll {
  struct ma_context *core;
  const char *id;
  json_t *doc;
  char last[512];
};

static void on_poll(uv_timer_t *t) {
  struct local_poll *p = t->data;
  struct ma_error err;
  json_decref(p->doc);
  p->doc = NULL;
  if (ops_install_get(p->core, p->id, &p->doc, &err) == 0)
    show_progress(p->doc, p->last, sizeof p->last);
  if (!p->doc || is_final(p->doc))
    uv_timer_stop(t);
}

static int local_install(const struct cli *cli, json_t *req, const char *iso) {
  const char *accel = json_string_value(json_object_get(req, "accel"));
  struct ma_options opt = {.state_dir = cli->state_dir, .profile_dir = cli->profile_dir,
                           .qemu_dir = cli->qemu_dir, .run_jobs = true,
                           .probe_kvm = !accel || strcmp(accel, "tcg") != 0, .max_running = 1, .max_queued = 2};
  struct ma_context ctx;
  char *cerr = NULL;
  uv_loop_t *loop = uv_default_loop();
  if (context_open(&ctx, loop, &opt, &cerr) < 0)
    return cli_fail("cannot open the state dir", cerr);
  struct ma_error err;
  json_t *image = NULL;
  char id[UTIL_ID_LEN + 1];
  int r = 0;
  if (iso) {
    json_t *reg = json_pack("{s:s}", "iso", iso);
    r = images_register(ctx.store, ctx.env.image_dirs, reg, &image, &err);
    json_decref(reg);
    if (r == 0)
      json_object_set(req, "image", json_object_get(image, "id"));
    json_decref(image);
  }
  if (r == 0)
    r = installs_start(ctx.installs, req, id, &err);
  struct local_poll poll = {&ctx, id, NULL, ""};
  if (r < 0) {
    r = print_error(cli, &err);
  } else {
    fprintf(stderr, "install %s\n", id);
    uv_timer_t timer;
    uv_timer_init(loop, &timer);
    timer.data = &poll;
    uv_timer_start(&timer, on_poll, POLL_MS, POLL_MS);
    while (uv_is_active((uv_handle_t *)&timer))
      uv_run(loop, UV_RUN_ONCE);
    uv_close((uv_handle_t *)&timer, NULL);
    while (installs_active(ctx.installs) > 0) /* its last callbacks, after the document went final */
      uv_run(loop, UV_RUN_ONCE);
    r = poll.doc ? finish(cli, poll.doc) : cli_fail("the install record disappeared", NULL);
  }
  json_decref(poll.doc);
  uv_run(loop, UV_RUN_NOWAIT);
  context_close(&ctx);
  loop_close(loop, stderr, "minix-analysis");
  return r;
}

static int remote_install(const struct cli *cli, json_t *req, const char *iso) {
  json_t *reply = NULL;
  int r;
  if (iso) {
    json_t *reg = json_pack("{s:s}", "iso", iso);
    r = cli_remote(cli, "POST", "/api/v1/images", reg, &reply);
    json_decref(reg);
    if (r)
      return r;
    json_object_set(req, "image", json_object_get(reply, "id"));
    json_decref(reply);
  }
  if ((r = cli_remote(cli, "POST", "/api/v1/installs", req, &reply)))
    return r;
  _cleanup_(util_freep) char *path =
      util_strdupf("/api/v1/installs/%s", json_string_value(json_object_get(reply, "id")));
  fprintf(stderr, "install %s\n", json_string_value(json_object_get(reply, "id")));
  char last[512] = "";
  while (!is_final(reply)) {
    json_decref(reply);
    usleep(POLL_MS * 1000);
    if ((r = cli_remote(cli, "GET", path, NULL, &reply)))
      return r;
    show_progress(reply, last, sizeof last);
  }
  r = finish(cli, reply);
  json_decref(reply);
  return r;
}

static int set_option(json_t *req, int c, const char **iso) {
  char *end;
  long n;
  json_error_t jerr;
  switch (c) {
  case 'i': *iso = optarg; return 0;
  case 'g': json_object_set_new(req, "image", json_string(optarg)); return 0;
  case 'S': json_object_set_new(req, "scenario", json_string(optarg)); return 0;
  case 'F': {
    json_t *def = json_load_file(optarg, 0, &jerr);
    if (!def)
      fprintf(stderr, "minix-analysis: --scenario-file %s: %s\n", optarg, jerr.text);
    return def ? json_object_set_new(req, "scenario", def) : -1;
  }
  case 'b': json_object_set_new(req, "disk_boot", json_string(optarg)); return 0;
  case 'A': json_object_set_new(req, "append", json_string(optarg)); return 0;
  case 'x': json_object_set_new(req, "accel", json_string(optarg)); return 0;
  case 'n': json_object_set_new(req, "verify", json_false()); return 0;
  case 'd': case 't': case 'm':
    n = strtol(optarg, &end, 10);
    if (*optarg == '\0' || *end != '\0')
      return -1;
    json_object_set_new(req, c == 'd' ? "disk_mb" : c == 't' ? "timeout_s" : "memory_mb", json_integer(n));
    return 0;
  default: return -1;
  }
}

int cli_cmd_install(const struct cli *cli, int argc, char **argv) {
  static const struct option opts[] = {
      {"iso", 1, 0, 'i'},         {"image", 1, 0, 'g'},     {"disk-mb", 1, 0, 'd'},   {"scenario", 1, 0, 'S'},
      {"scenario-file", 1, 0, 'F'}, {"disk-boot", 1, 0, 'b'}, {"append", 1, 0, 'A'},    {"no-verify", 0, 0, 'n'},
      {"timeout-s", 1, 0, 't'},   {"accel", 1, 0, 'x'},     {"memory-mb", 1, 0, 'm'}, {0, 0, 0, 0}};
  json_auto_t *req = json_object();
  const char *iso = NULL;
  int c, bad = 0;
  optind = 0; /* 0, not 1: GNU getopt then forgets the "+" mode of the global options */
  while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1)
    bad |= set_option(req, c, &iso);
  if (bad || optind < argc || !!iso == !!json_object_get(req, "image")) {
    fprintf(stderr, "usage: minix-analysis install (--iso PATH | --image ID) [--disk-mb N] [--scenario NAME |"
                    " --scenario-file F] [--disk-boot bios|kernel] [--append TEXT] [--no-verify] [--timeout-s N]"
                    " [--accel A] [--memory-mb N]\n");
    return EXIT_USAGE;
  }
  return cli->server ? remote_install(cli, req, iso) : local_install(cli, req, iso);
}

/* minix-analysis install: an unattended install from an ISO (registered on
 * the way) onto a new disk, in-process or through a daemon, printing each
 * scenario step as it happens. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "programs/cli/cli.h"
#include "programs/cli/client.h"
#include "lib/util.h"

static const char *const final_statuses[] = {"succeeded", "failed", "cancelled", "interrupted",
                                             NULL};

static bool is_final(json_t *doc) {
  const char *st = json_string_value(json_object_get(doc, "status"));
  for (const char *const *f = final_statuses; st && *f; f++)
    if (strcmp(st, *f) == 0)
      return true;
  return false;
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
      printf("  disk image %s\n  path %s\n  sha256 %s\n  base unchanged by the verification boot: "
             "%s\n",
             json_string_value(json_object_get(doc, "disk_image")),
             json_string_value(json_object_get(doc, "disk")),
             json_string_value(json_object_get(doc, "sha256")),
             json_is_true(json_object_get(doc, "base_unchanged_by_verify")) ? "yes"
                                                                            : "not checked");
    if (json_object_get(doc, "verify_boot_ms"))
      printf("  verification boot to login: %.3f ms\n",
             json_real_value(json_object_get(doc, "verify_boot_ms")));
  }
  return strcmp(json_string_value(json_object_get(doc, "status")), "succeeded") == 0
             ? 0
             : EXIT_RUN_FAILED;
}

struct watch {
  const char *phase;
  char last[512];
};

static void show_step(struct watch *w, const char *step, const char *text) {
  char now[512];
  snprintf(now, sizeof now, "%-13s %s%s%s", w->phase, step ? step : "", step ? ": " : "",
           text ? text : "");
  if (strcmp(now, w->last) != 0)
    fprintf(stderr, "  %s\n", now);
  snprintf(w->last, sizeof w->last, "%s", now);
}

/* A scenario step of the install's current run, as it happens. */
static void on_run_event(void *userdata, const char *event, json_t *data) {
  const char *source = json_string_value(json_object_get(data, "source"));
  if (strcmp(event, "marker") == 0 && source && strcmp(source, "scenario") == 0)
    show_step(userdata, json_string_value(json_object_get(data, "name")),
              json_string_value(json_object_get(data, "text")));
}

/* Follows each run of the install (the install, then the verification boot) through its events;
 * between them (creating the disk, hashing it) the install has no event of its own to follow, so it
 * is re-read after each turn of the loop (half a second from a daemon). */
static int follow_install(struct client *c, json_t *which, json_t **doc, struct ma_error *err) {
  char followed[UTIL_ID_LEN + 1] = "";
  struct watch w = {"", ""};
  bool quiet =
      false; /* the loop had nothing left to do: one more read must find the install over */
  for (;;) {
    int r = client_call(c, CLIENT_INSTALL_GET, which, doc, err);
    if (r < 0 || is_final(*doc))
      return r;
    json_t *p = json_object_get(*doc, "progress");
    const char *run = json_string_value(json_object_get(p, "run"));
    w.phase = json_string_value(json_object_get(*doc, "status"));
    show_step(&w, json_string_value(json_object_get(p, "step")),
              json_string_value(json_object_get(p, "text")));
    if (run && strcmp(run, followed) != 0) {
      snprintf(followed, sizeof followed, "%s", run);
      r = client_follow_run(c, run, on_run_event, &w, err);
    } else if (quiet) {
      r = -EIO;
      ma_error_set(err, EIO, "install_stalled", NULL, "the install stopped without a final status");
    } else {
      quiet = !client_idle(c);
    }
    json_decref(*doc);
    *doc = NULL;
    if (r < 0)
      return r;
  }
}

static int install_and_wait(struct client *c, json_t *req, const char *iso) {
  json_auto_t *image = NULL, *accepted = NULL, *doc = NULL, *which = NULL;
  struct ma_error err;
  if (iso) {
    json_auto_t *reg = json_pack("{s:s}", "iso", iso);
    if (client_call(c, CLIENT_IMAGE_REGISTER, reg, &image, &err) < 0)
      return client_fail(c, &err);
    json_object_set(req, "image", json_object_get(image, "id"));
  }
  if (client_call(c, CLIENT_INSTALL_START, req, &accepted, &err) < 0)
    return client_fail(c, &err);
  fprintf(stderr, "install %s\n", json_string_value(json_object_get(accepted, "id")));
  which = json_pack("{s:O}", "id", json_object_get(accepted, "id"));
  if (follow_install(c, which, &doc, &err) < 0)
    return client_fail(c, &err);
  return finish(c->cli, doc);
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
  case 'd':
  case 't':
  case 'm':
    n = strtol(optarg, &end, 10);
    if (*optarg == '\0' || *end != '\0')
      return -1;
    json_object_set_new(req,
                        c == 'd'   ? "disk_mb"
                        : c == 't' ? "timeout_s"
                                   : "memory_mb",
                        json_integer(n));
    return 0;
  default: return -1;
  }
}

int cli_cmd_install(const struct cli *cli, int argc, char **argv) {
  static const struct option opts[] = {
      {"iso", 1, 0, 'i'},      {"image", 1, 0, 'g'},         {"disk-mb", 1, 0, 'd'},
      {"scenario", 1, 0, 'S'}, {"scenario-file", 1, 0, 'F'}, {"disk-boot", 1, 0, 'b'},
      {"append", 1, 0, 'A'},   {"no-verify", 0, 0, 'n'},     {"timeout-s", 1, 0, 't'},
      {"accel", 1, 0, 'x'},    {"memory-mb", 1, 0, 'm'},     {0, 0, 0, 0}};
  json_auto_t *req = json_object();
  const char *iso = NULL;
  int c, bad = 0;
  optind = 0; /* 0, not 1: GNU getopt then forgets the "+" mode of the global options */
  while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1)
    bad |= set_option(req, c, &iso);
  if (bad || optind < argc || !!iso == !!json_object_get(req, "image")) {
    fprintf(
        stderr,
        "usage: minix-analysis install (--iso PATH | --image ID) [--disk-mb N] [--scenario NAME |"
        " --scenario-file F] [--disk-boot bios|kernel] [--append TEXT] [--no-verify] [--timeout-s "
        "N]"
        " [--accel A] [--memory-mb N]\n");
    return EXIT_USAGE;
  }
  struct client cl;
  if (client_open(&cl, cli, CLIENT_RUN, json_string_value(json_object_get(req, "accel")), 1, 2) < 0)
    return EXIT_ERROR;
  int r = install_and_wait(&cl, req, iso);
  client_close(&cl);
  return r;
}

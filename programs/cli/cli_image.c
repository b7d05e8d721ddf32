/* minix-analysis image verify --iso PATH [--sha256 HEX] | image list | image delete ID: in-process on the
 * state dir or through a daemon's /api/v1/images. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "core/ops.h"
#include "programs/cli/cli.h"
#include "core/images.h"

static int usage_error(void) {
  fprintf(stderr, "usage: minix-analysis image verify --iso PATH [--sha256 HEX] | image list | image delete ID\n");
  return EXIT_USAGE;
}

static int print_error(const struct cli *cli, const struct ma_error *err) {
  json_t *body = ma_error_json(err);
  int r = cli_print_error(cli, body, ma_error_is_request(err));
  json_decref(body);
  return r;
}

/* Deleting changes what a daemon on the same state dir may be about to boot: in-process, the state dir is
 * locked as for boots, so with a daemon there this says to go through it (--server), which knows its runs. */
static int local_delete(const struct cli *cli, const char *id, json_t **out) {
  struct ma_options opt = {.state_dir = cli->state_dir, .profile_dir = cli->profile_dir, .lock = true,
                           .max_running = 1, .max_queued = 1};
  struct ma_context ctx;
  char *msg = NULL;
  if (context_open(&ctx, uv_default_loop(), &opt, &msg) < 0) {
    context_close(&ctx);
    return cli_fail("cannot open the state dir", msg);
  }
  struct ma_error err;
  int r = ops_image_delete(&ctx, id, out, &err) < 0 ? print_error(cli, &err) : 0;
  context_close(&ctx);
  return r;
}

static int local_verify_or_list(const struct cli *cli, bool list, json_t *req, json_t **out) {
  struct ma_context ctx;
  if (cli_open_read(cli, &ctx) < 0)
    return EXIT_ERROR;
  struct ma_error err;
  json_t *images = NULL;
  int r = list ? store_images_list(ctx.store, &images)
               : images_register(ctx.store, ctx.env.image_dirs, req, out, &err);
  if (list && r == 0)
    *out = json_pack("{s:o}", "images", images);
  if (r < 0)
    r = list ? cli_fail("cannot list images", NULL) : print_error(cli, &err);
  context_close(&ctx);
  return r;
}

int cli_cmd_image(const struct cli *cli, int argc, char **argv) {
  static const struct option opts[] = {{"iso", 1, 0, 'i'}, {"sha256", 1, 0, 's'}, {0, 0, 0, 0}};
  json_auto_t *req = json_object();
  int c;
  optind = 0; /* 0, not 1: GNU getopt then forgets the "+" mode of the global options */
  while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    if (c == '?')
      return EXIT_USAGE;
    json_object_set_new(req, c == 'i' ? "iso" : "sha256", json_string(optarg));
  }
  const char *sub = optind < argc ? argv[optind] : "";
  bool list = strcmp(sub, "list") == 0 && optind == argc - 1;
  bool verify = strcmp(sub, "verify") == 0 && optind == argc - 1;
  bool delete = strcmp(sub, "delete") == 0 && optind == argc - 2 && json_object_size(req) == 0;
  if (!list && !verify && !delete)
    return usage_error();
  json_t *out = NULL;
  _cleanup_(util_freep) char *path = delete ? util_strdupf("/api/v1/images/%s", argv[optind + 1]) : NULL;
  int r;
  if (cli->server && delete)
    r = cli_remote(cli, "DELETE", path, NULL, &out);
  else if (cli->server)
    r = list ? cli_remote(cli, "GET", "/api/v1/images", NULL, &out)
             : cli_remote(cli, "POST", "/api/v1/images", req, &out);
  else
    r = delete ? local_delete(cli, argv[optind + 1], &out) : local_verify_or_list(cli, list, req, &out);
  if (out)
    r = cli_print_json(out);
  json_decref(out);
  return r;
}

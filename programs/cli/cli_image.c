/* minix-analysis image verify --iso PATH [--sha256 HEX] | image list | image delete ID: in-process
 * on the state dir or through a daemon's /api/v1/images. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "programs/cli/cli.h"
#include "programs/cli/client.h"

static int usage_error(void) {
  fprintf(stderr, "usage: minix-analysis image verify --iso PATH [--sha256 HEX] | image list | "
                  "image delete ID\n");
  return EXIT_USAGE;
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
  /* Deleting changes what a daemon on the same state dir may be about to boot: in-process, the
   * state dir is locked as for boots, so with a daemon there this says to go through it (--server).
   */
  struct client cl;
  if (client_open(&cl, cli, delete ? CLIENT_LOCK : CLIENT_READ, NULL, 0, 0) < 0)
    return EXIT_ERROR;
  json_auto_t *args = delete ? json_pack("{s:s}", "id", argv[optind + 1]) : json_incref(req),
              *out = NULL;
  struct ma_error err;
  int r = client_call(&cl,
                      delete ? CLIENT_IMAGE_DELETE
                      : list ? CLIENT_IMAGES_LIST
                             : CLIENT_IMAGE_REGISTER,
                      args, &out, &err) < 0
              ? client_fail(&cl, &err)
              : cli_print_json(out);
  client_close(&cl);
  return r;
}

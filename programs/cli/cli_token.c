/* minix-analysis token create --name N [--read-only] | list | revoke ID:
 * bearer tokens for a daemon run with --auth, managed on its state dir
 * (SQLite lets this run beside the daemon). Only a token's SHA-256 is kept. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "programs/cli/cli.h"

static int usage_error(void) {
  fprintf(stderr, "usage: minix-analysis token create --name NAME [--read-only] | token list | "
                  "token revoke ID\n");
  return EXIT_USAGE;
}

int cli_cmd_token(const struct cli *cli, int argc, char **argv) {
  static const struct option opts[] = {{"name", 1, 0, 'n'}, {"read-only", 0, 0, 'r'}, {0, 0, 0, 0}};
  const char *name = NULL;
  bool read_only = false;
  int c;
  optind = 0; /* 0, not 1: GNU getopt then forgets the "+" mode of the global options */
  while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    if (c == 'n')
      name = optarg;
    else if (c == 'r')
      read_only = true;
    else
      return usage_error();
  }
  const char *verb = optind < argc ? argv[optind] : "";
  bool create = strcmp(verb, "create") == 0, list = strcmp(verb, "list") == 0,
       revoke = strcmp(verb, "revoke") == 0;
  if ((!create && !list && !revoke) || (create && (!name || !*name)) ||
      (revoke != (optind + 2 == argc)) || (!revoke && optind + 1 != argc) || cli->server)
    return usage_error();
  struct ma_context ctx;
  if (cli_open_read(cli, &ctx) < 0)
    return EXIT_ERROR;
  int r = 0;
  if (create) {
    char token[STORE_TOKEN_LEN + 1], id[UTIL_ID_LEN + 1];
    r = store_token_create(ctx.store, name, read_only ? "read" : "full", token, id);
    if (r == 0) {
      printf("%s\n", token);
      fprintf(stderr, "token %s (%s, %s): shown once; only its SHA-256 is stored\n", id, name,
              read_only ? "read-only" : "full");
    }
  } else if (list) {
    json_t *tokens = NULL;
    r = store_tokens_list(ctx.store, &tokens);
    if (r == 0)
      cli_print_json(tokens);
    json_decref(tokens);
  } else {
    r = store_token_revoke(ctx.store, argv[optind + 1]);
    if (r == -ENOENT)
      fprintf(stderr, "minix-analysis: no unrevoked token with id %s\n", argv[optind + 1]);
  }
  context_close(&ctx);
  return r == 0 ? 0 : r == -ENOENT ? EXIT_USAGE : cli_fail("token", strdup(strerror(-r)));
}

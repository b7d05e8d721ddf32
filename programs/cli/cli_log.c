/* minix-analysis log delete ID... | log prune --older-than-days N [--dry-run]: frees disk space by
 * deleting finished runs' console logs; their markers, timings and samples stay. In-process on the
 * state dir (safe beside a running daemon: only finished runs' files go) or through a daemon, with
 * the same operation (DELETE /api/v1/runs/ID/serial). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "programs/cli/cli.h"
#include "programs/cli/client.h"

#define PAGE 1000

static int usage_error(void) {
  fprintf(stderr,
          "usage: minix-analysis log delete ID... | log prune --older-than-days N [--dry-run]\n");
  return EXIT_USAGE;
}

/* One run's log; adds what it freed to *total. */
static int delete_one(struct client *c, const char *id, int64_t *total) {
  json_auto_t *args = json_pack("{s:s}", "id", id), *out = NULL;
  struct ma_error err;
  if (client_call(c, CLIENT_SERIAL_DELETE, args, &out, &err) < 0)
    return client_fail(c, &err);
  int64_t freed = json_integer_value(json_object_get(out, "freed_bytes"));
  if (!c->cli->json)
    printf("%s\t%lld bytes freed\n", id, (long long)freed);
  *total += freed;
  return 0;
}

/* A page of runs, newest first. */
static int list_page(struct client *c, const char *cursor, json_t **page) {
  json_auto_t *args = json_pack("{s:i}", "limit", PAGE);
  if (cursor)
    json_object_set_new(args, "cursor", json_string(cursor));
  struct ma_error err;
  return client_call(c, CLIENT_RUNS_LIST, args, page, &err) < 0 ? client_fail(c, &err) : 0;
}

/* The finished runs created before the cutoff (RFC 3339 UTC, which sorts as text). */
static int old_runs(struct client *c, const char *cutoff, json_t *ids) {
  char *cursor = NULL;
  int r;
  do {
    json_t *page = NULL;
    if ((r = list_page(c, cursor, &page)) != 0)
      break;
    size_t i;
    json_t *run;
    json_array_foreach(json_object_get(page, "runs"), i, run) {
      const char *created = json_string_value(json_object_get(run, "created_at"));
      if (created && strcmp(created, cutoff) < 0 &&
          run_status_final(json_string_value(json_object_get(run, "status"))))
        json_array_append(ids, json_object_get(run, "id"));
    }
    free(cursor);
    const char *next = json_string_value(json_object_get(page, "next_cursor"));
    cursor = next ? strdup(next) : NULL;
    json_decref(page);
  } while (cursor);
  free(cursor);
  return r;
}

int cli_cmd_log(const struct cli *cli, int argc, char **argv) {
  static const struct option opts[] = {
      {"older-than-days", 1, 0, 'o'}, {"dry-run", 0, 0, 'n'}, {0, 0, 0, 0}};
  const char *days = NULL;
  bool dry = false;
  int c;
  optind = 0; /* 0, not 1: GNU getopt then forgets the "+" mode of the global options */
  while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    if (c == 'o')
      days = optarg;
    else if (c == 'n')
      dry = true;
    else
      return usage_error();
  }
  const char *verb = optind < argc ? argv[optind] : "";
  bool del = strcmp(verb, "delete") == 0, prune = strcmp(verb, "prune") == 0;
  char *end = NULL;
  double d = days ? strtod(days, &end) : -1;
  if ((!del && !prune) || (del && (optind + 1 == argc || days || dry)) ||
      (prune && (optind + 1 != argc || !days || *end || d < 0)))
    return usage_error();
  struct client cl;
  if (client_open(&cl, cli, CLIENT_READ, NULL, 0, 0) < 0)
    return EXIT_ERROR;
  json_auto_t *ids = json_array();
  int r = 0;
  if (del) {
    for (int i = optind + 1; i < argc; i++)
      json_array_append_new(ids, json_string(argv[i]));
  } else {
    char cutoff[32];
    util_rfc3339(util_wall_us() - (int64_t)(d * 86400e6), cutoff, sizeof cutoff);
    r = old_runs(&cl, cutoff, ids);
  }
  int64_t total = 0;
  size_t i, done = 0;
  json_t *id;
  json_array_foreach(ids, i, id) {
    if (r != 0 || dry)
      break;
    if ((r = delete_one(&cl, json_string_value(id), &total)) == 0)
      done++;
  }
  client_close(&cl);
  if (cli->json) {
    json_auto_t *out = json_pack("{s:O, s:b, s:I, s:I}", "runs", ids, "dry_run", dry, "deleted",
                                 (json_int_t)done, "freed_bytes", (json_int_t)total);
    cli_print_json(out);
  } else if (prune) {
    printf("%s%zu finished run(s) older than %s days: %zu log(s) deleted, %lld bytes freed\n",
           dry ? "dry run: " : "", json_array_size(ids), days, done, (long long)total);
  }
  return r;
}

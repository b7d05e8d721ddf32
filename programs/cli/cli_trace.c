/* minix-analysis trace BOOT OPTIONS [--tracer T] [--summary] -- COMMAND...:
 * boots the guest, runs the command under its syscall tracer, prints the table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "programs/cli/cli.h"
#include "core/traces.h"
#include "core/loop_close.h"
#include "lib/syscall_trace.h"
#include "lib/util.h"

#define POLL_MS 250

static int show(const struct cli *cli, json_t *doc) {
  bool ok = strcmp(json_string_value(json_object_get(doc, "status")), "succeeded") == 0;
  if (cli->json) {
    cli_print_json(doc);
  } else {
    json_t *table = json_object_get(doc, "table"), *err = json_object_get(doc, "error");
    printf("trace %s: %s (run %s)\n", json_string_value(json_object_get(doc, "id")),
           json_string_value(json_object_get(doc, "status")), json_string_value(json_object_get(doc, "run")));
    printf("  %s: %s\n", json_string_value(json_object_get(doc, "tracer")),
           json_string_value(json_object_get(doc, "command")));
    if (json_is_integer(json_object_get(doc, "exit_status")))
      printf("  exit status: %lld\n", (long long)json_integer_value(json_object_get(doc, "exit_status")));
    if (err)
      printf("  error %s: %s\n", json_string_value(json_object_get(err, "code")),
             json_string_value(json_object_get(err, "message")));
    if (table) {
      char *text = syscall_trace_text(table);
      fputs(text, stdout);
      free(text);
    }
  }
  return ok ? 0 : EXIT_RUN_FAILED;
}

static int local_trace(const struct cli *cli, json_t *req) {
  const char *accel = json_string_value(json_object_get(req, "accel"));
  struct ma_options opt = {.state_dir = cli->state_dir, .profile_dir = cli->profile_dir,
                           .qemu_dir = cli->qemu_dir, .run_jobs = true,
                           .probe_kvm = !accel || strcmp(accel, "tcg") != 0, .max_running = 1, .max_queued = 1};
  struct ma_context ctx;
  char *cerr = NULL;
  uv_loop_t *loop = uv_default_loop();
  if (context_open(&ctx, loop, &opt, &cerr) < 0)
    return cli_fail("cannot open the state dir", cerr);
  struct ma_error err;
  char id[UTIL_ID_LEN + 1];
  int r;
  if (traces_start(ctx.traces, req, id, &err) < 0) {
    json_t *body = ma_error_json(&err);
    r = cli_print_error(cli, body, ma_error_is_request(&err));
    json_decref(body);
  } else {
    fprintf(stderr, "trace %s\n", id);
    while (traces_active(ctx.traces) > 0)
      uv_run(loop, UV_RUN_ONCE);
    json_t *doc = NULL;
    r = store_doc_get(ctx.store, STORE_TRACES, id, &doc) == 0 ? show(cli, doc) : cli_fail("the trace vanished", NULL);
    json_decref(doc);
  }
  uv_run(loop, UV_RUN_NOWAIT);
  context_close(&ctx);
  loop_close(loop, stderr, "minix-analysis");
  return r;
}

static int remote_trace(const struct cli *cli, json_t *req) {
  json_t *doc = NULL;
  int r = cli_remote(cli, "POST", "/api/v1/traces", req, &doc);
  if (r)
    return r;
  _cleanup_(util_freep) char *path = util_strdupf("/api/v1/traces/%s", json_string_value(json_object_get(doc, "id")));
  fprintf(stderr, "trace %s\n", json_string_value(json_object_get(doc, "id")));
  while (strcmp(json_string_value(json_object_get(doc, "status")), "running") == 0) {
    json_decref(doc);
    usleep(POLL_MS * 1000);
    if ((r = cli_remote(cli, "GET", path, NULL, &doc)))
      return r;
  }
  r = show(cli, doc);
  json_decref(doc);
  return r;
}

int cli_cmd_trace(const struct cli *cli, int argc, char **argv) {
  int dash = 1;
  while (dash < argc && strcmp(argv[dash], "--") != 0)
    dash++;
  /* Our own options among the boot options: pulled out before those are parsed. */
  json_auto_t *req = json_object();
  int kept = 1;
  for (int i = 1; i < dash; i++) {
    if (strcmp(argv[i], "--summary") == 0) {
      json_object_set_new(req, "summary", json_true());
    } else if (strcmp(argv[i], "--tracer") == 0 && i + 1 < dash) {
      json_object_set_new(req, "tracer", json_string(argv[++i]));
    } else {
      argv[kept++] = argv[i];
    }
  }
  struct util_buf command = {0};
  for (int i = dash + 1; i < argc; i++)
    util_buf_printf(&command, "%s%s", i > dash + 1 ? " " : "", argv[i]);
  if (dash >= argc - 1 || cli_parse_request(kept, argv, false, req) < 0) {
    util_buf_clear(&command);
    fprintf(stderr, "usage: minix-analysis trace BOOT OPTIONS [--tracer strace|trace] [--summary] -- COMMAND...\n");
    return EXIT_USAGE;
  }
  json_object_set_new(req, "command", json_string(command.data));
  util_buf_clear(&command);
  return cli->server ? remote_trace(cli, req) : local_trace(cli, req);
}

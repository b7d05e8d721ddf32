/* minix-analysis trace BOOT OPTIONS [--tracer T] [--summary] -- COMMAND...:
 * boots the guest, runs the command under its syscall tracer, prints the table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "programs/cli/cli.h"
#include "programs/cli/client.h"
#include "core/traces.h"
#include "lib/syscall_trace.h"
#include "lib/util.h"

static int show(const struct cli *cli, json_t *doc) {
  bool ok = strcmp(json_string_value(json_object_get(doc, "status")), "succeeded") == 0;
  if (cli->json) {
    cli_print_json(doc);
  } else {
    json_t *table = json_object_get(doc, "table"), *err = json_object_get(doc, "error");
    printf("trace %s: %s (run %s)\n", json_string_value(json_object_get(doc, "id")),
           json_string_value(json_object_get(doc, "status")),
           json_string_value(json_object_get(doc, "run")));
    printf("  %s: %s\n", json_string_value(json_object_get(doc, "tracer")),
           json_string_value(json_object_get(doc, "command")));
    if (json_is_integer(json_object_get(doc, "exit_status")))
      printf("  exit status: %lld\n",
             (long long)json_integer_value(json_object_get(doc, "exit_status")));
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

static void ignore_event(void *userdata, const char *event, json_t *data) {
  (void)userdata, (void)event, (void)data;
}

static bool traces_idle(void *userdata) {
  return traces_active(((struct ma_context *)userdata)->traces) == 0;
}

/* Starts the trace, follows its run to the end, prints the trace. The trace's own subscription to
 * the run came before ours, so by the run's end its document is final. */
static int trace_and_wait(struct client *c, json_t *req) {
  json_auto_t *accepted = NULL, *doc = NULL, *which = NULL;
  struct ma_error err;
  if (client_call(c, CLIENT_TRACE_START, req, &accepted, &err) < 0)
    return client_fail(c, &err);
  fprintf(stderr, "trace %s\n", json_string_value(json_object_get(accepted, "id")));
  which = json_pack("{s:O}", "id", json_object_get(accepted, "id"));
  if (client_call(c, CLIENT_TRACE_GET, which, &doc, &err) < 0 ||
      client_follow_run(c, json_string_value(json_object_get(doc, "run")), ignore_event, NULL,
                        &err) < 0)
    return client_fail(c, &err);
  client_wait(c, traces_idle, &c->ctx);
  json_decref(doc);
  doc = NULL;
  if (client_call(c, CLIENT_TRACE_GET, which, &doc, &err) < 0)
    return client_fail(c, &err);
  return show(c->cli, doc);
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
    fprintf(stderr, "usage: minix-analysis trace BOOT OPTIONS [--tracer strace|trace] [--summary] "
                    "-- COMMAND...\n");
    return EXIT_USAGE;
  }
  json_object_set_new(req, "command", json_string(command.data));
  util_buf_clear(&command);
  struct client c;
  if (client_open(&c, cli, CLIENT_RUN, json_string_value(json_object_get(req, "accel")), 1, 1) < 0)
    return EXIT_ERROR;
  int r = trace_and_wait(&c, req);
  client_close(&c);
  return r;
}

#include "programs/cli/client.h"

#include "core/loop_close.h"

#include <string.h>
#include <unistd.h>
#include <uv.h>

int client_open(struct client *c, const struct cli *cli, enum client_need need, const char *accel,
                int max_running, int max_queued) {
  *c = (struct client){.cli = cli, .remote = cli->server != NULL};
  if (c->remote)
    return 0;
  struct ma_options opt = {.state_dir = cli->state_dir,
                           .profile_dir = cli->profile_dir,
                           .qemu_dir = cli->qemu_dir,
                           .run_jobs = need == CLIENT_RUN,
                           .lock = need == CLIENT_LOCK,
                           .probe_kvm = need == CLIENT_RUN && (!accel || strcmp(accel, "tcg") != 0),
                           .max_running = max_running > 0 ? max_running : 1,
                           .max_queued = max_queued > 0 ? max_queued : 1};
  char *err = NULL;
  int r = context_open(&c->ctx, uv_default_loop(), &opt, &err);
  if (r < 0) {
    context_close(&c->ctx);
    cli_fail("cannot open the state dir", err);
    return r;
  }
  c->opened = true;
  return 0;
}

void client_close(struct client *c) {
  if (!c->opened)
    return;
  uv_loop_t *loop = c->ctx.loop;
  /* Let the closed handles' callbacks run before the loop goes. */
  uv_run(loop, UV_RUN_NOWAIT);
  context_close(&c->ctx);
  c->opened = false;
  loop_close(loop, stderr, "minix-analysis");
}

int client_call(struct client *c, enum client_op op, json_t *args, json_t **out,
                struct ma_error *err) {
  *out = NULL;
  return c->remote ? client_remote_call(c, op, args, out, err)
                   : client_local_call(c, op, args, out, err);
}

int client_fail(const struct client *c, const struct ma_error *err) {
  json_auto_t *body = ma_error_json(err);
  return cli_print_error(c->cli, body, ma_error_is_request(err));
}

int client_follow_run(struct client *c, const char *run_id, client_event_cb cb, void *userdata,
                      struct ma_error *err) {
  return c->remote ? client_remote_follow(c, run_id, cb, userdata, err)
                   : client_local_follow(c, run_id, cb, userdata, err);
}

int client_follow_matrix(struct client *c, const char *id, client_matrix_cb cb, void *userdata,
                         struct ma_error *err) {
  return c->remote ? client_remote_follow_matrix(c, id, cb, userdata, err)
                   : client_local_follow_matrix(c, id, cb, userdata);
}

bool client_idle(struct client *c) {
  if (c->remote) {
    usleep(500000);
    return true;
  }
  return uv_run(c->ctx.loop, UV_RUN_ONCE) != 0;
}

void client_wait(struct client *c, bool (*done)(void *userdata), void *userdata) {
  while (!c->remote && !done(userdata) && uv_run(c->ctx.loop, UV_RUN_ONCE))
    ;
}

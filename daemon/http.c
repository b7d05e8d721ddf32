#include "daemon/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/util.h"

/* MHD runs without threads of its own, in epoll mode: its single epoll fd is
 * watched by a uv_poll_t and its timeouts by a uv_timer_t, so every request
 * handler runs on the loop thread and may touch jobs and the store directly,
 * with no locks and no thread per connection. */
struct http_server {
  struct MHD_Daemon *mhd;
  uv_poll_t poll;
  uv_timer_t timer;
  int port, open_handles;
  void (*stopped_cb)(void *);
  void *stopped_userdata;
};

static void schedule(struct http_server *s);

static void run_mhd(struct http_server *s) {
  MHD_run(s->mhd);
  schedule(s);
}

static void on_poll(uv_poll_t *p, int status, int events) {
  (void)status;
  (void)events;
  run_mhd(p->data);
}

static void on_timer(uv_timer_t *t) { run_mhd(t->data); }

static void schedule(struct http_server *s) {
  MHD_UNSIGNED_LONG_LONG ms;
  if (MHD_get_timeout(s->mhd, &ms) == MHD_YES)
    uv_timer_start(&s->timer, on_timer, ms, 0);
  else
    uv_timer_stop(&s->timer);
}

static int parse_addr(const char *host, int port, struct sockaddr_in *addr) {
  memset(addr, 0, sizeof *addr);
  addr->sin_family = AF_INET;
  addr->sin_port = htons((uint16_t)port);
  if (strcmp(host, "localhost") == 0)
    host = "127.0.0.1";
  return inet_pton(AF_INET, host, &addr->sin_addr) == 1 ? 0 : -EINVAL;
}

int http_server_start(uv_loop_t *loop, const char *host, int port, MHD_AccessHandlerCallback handler,
                      MHD_RequestCompletedCallback completed, void *cls, struct http_server **out, char **err) {
  struct sockaddr_in addr;
  if (parse_addr(host, port, &addr) < 0) {
    *err = util_strdupf("cannot listen on %s: an IPv4 address or localhost is needed", host);
    return -EINVAL;
  }
  struct http_server *s = calloc(1, sizeof *s);
  if (!s)
    return -ENOMEM;
  s->mhd = MHD_start_daemon(MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG, (uint16_t)port, NULL,
                            NULL, handler, cls, MHD_OPTION_SOCK_ADDR, &addr, MHD_OPTION_NOTIFY_COMPLETED, completed,
                            cls, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120, MHD_OPTION_CONNECTION_LIMIT,
                            (unsigned)256, MHD_OPTION_END);
  if (!s->mhd) {
    *err = util_strdupf("cannot listen on %s:%d: %s", host, port, strerror(errno ? errno : EADDRINUSE));
    free(s);
    return -EADDRINUSE;
  }
  const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_EPOLL_FD);
  const union MHD_DaemonInfo *pinfo = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
  s->port = pinfo ? pinfo->port : port;
  uv_poll_init(loop, &s->poll, info->epoll_fd);
  uv_timer_init(loop, &s->timer);
  s->poll.data = s->timer.data = s;
  s->open_handles = 2;
  uv_poll_start(&s->poll, UV_READABLE, on_poll);
  schedule(s);
  *out = s;
  return 0;
}

void http_server_wake(void *server) {
  struct http_server *s = server;
  if (s)
    uv_timer_start(&s->timer, on_timer, 0, 0);
}

int http_server_port(const struct http_server *s) { return s->port; }

void http_server_quiesce(struct http_server *s) {
  if (!s)
    return;
  MHD_socket fd = MHD_quiesce_daemon(s->mhd);
  if (fd != MHD_INVALID_SOCKET)
    close(fd);
}

static void on_closed(uv_handle_t *h) {
  struct http_server *s = h->data;
  if (--s->open_handles > 0)
    return;
  void (*cb)(void *) = s->stopped_cb;
  void *userdata = s->stopped_userdata;
  /* Only now: the poll handle watched MHD's epoll fd, which this closes. */
  MHD_stop_daemon(s->mhd);
  free(s);
  if (cb)
    cb(userdata);
}

void http_server_stop(struct http_server *s, void (*cb)(void *), void *userdata) {
  s->stopped_cb = cb;
  s->stopped_userdata = userdata;
  uv_close((uv_handle_t *)&s->poll, on_closed);
  uv_close((uv_handle_t *)&s->timer, on_closed);
}

#include "api/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/util.h"

/* MHD runs without threads of its own, in epoll mode: its single epoll fd is
 * watched by a uv_poll_t and its timeouts by a uv_timer_t, so every request
 * handler runs on the loop thread and may touch jobs and the store directly,
 * with no locks and no thread per connection. */
/* A connection whose request has not arrived whole yet. MHD's own timeout is
 * an idle timeout that every byte resets, so a client trickling one header
 * line at a time would hold its connection for ever (slowloris): these get a
 * deadline that counts from the connection's start or its last answer. */
struct pending {
  struct pending *prev, *next; /* in http_server.pending while waiting */
  struct MHD_Connection *conn;
  int64_t since_us;
};

struct http_server {
  struct MHD_Daemon *mhd;
  uv_poll_t poll;
  uv_timer_t timer, deadlines;
  int port, open_handles;
  int64_t request_timeout_us;
  struct pending pending; /* list head */
  MHD_AccessHandlerCallback handler;
  MHD_RequestCompletedCallback completed;
  void *cls;
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

static void unlink_pending(struct pending *p) {
  if (!p || !p->next)
    return;
  p->prev->next = p->next;
  p->next->prev = p->prev;
  p->prev = p->next = NULL;
}

static void wait_for_request(struct http_server *s, struct pending *p) {
  unlink_pending(p);
  p->since_us = util_mono_us();
  p->next = &s->pending;
  p->prev = s->pending.prev;
  s->pending.prev->next = p;
  s->pending.prev = p;
}

static struct pending *pending_of(struct MHD_Connection *conn) {
  const union MHD_ConnectionInfo *ci =
      MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
  return ci ? ci->socket_context : NULL;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code) {
  struct http_server *s = cls;
  struct pending *p = *socket_context;
  if (code == MHD_CONNECTION_NOTIFY_STARTED && (p = calloc(1, sizeof *p))) {
    p->conn = conn;
    *socket_context = p;
    wait_for_request(s, p);
  } else if (code == MHD_CONNECTION_NOTIFY_CLOSED && p) {
    unlink_pending(p);
    free(p);
    *socket_context = NULL;
  }
}

/* The handler's last call for a request (not its first, no upload left) means it arrived whole. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_size, void **state) {
  struct http_server *s = cls;
  bool first = *state == NULL;
  if (!first && *upload_size == 0)
    unlink_pending(pending_of(conn));
  return s->handler(s->cls, conn, url, method, version, upload_data, upload_size, state);
}

/* Answered: a kept-alive connection waits for its next request, under the same deadline. */
static void on_completed(void *cls, struct MHD_Connection *conn, void **state,
                         enum MHD_RequestTerminationCode toe) {
  struct http_server *s = cls;
  s->completed(s->cls, conn, state, toe);
  struct pending *p = pending_of(conn);
  if (p && toe == MHD_REQUEST_TERMINATED_COMPLETED_OK)
    wait_for_request(s, p);
}

static void on_deadlines(uv_timer_t *t) {
  struct http_server *s = t->data;
  int64_t now = util_mono_us();
  int cut = 0;
  for (struct pending *p = s->pending.next, *next; p != &s->pending; p = next) {
    next = p->next;
    if (now - p->since_us < s->request_timeout_us)
      continue;
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(p->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    /* MHD sees the end of the stream on its next turn and closes the connection itself. */
    if (ci)
      shutdown(ci->connect_fd, SHUT_RDWR);
    unlink_pending(p);
    cut++;
  }
  if (cut) {
    fprintf(stderr,
            "minix-analysisd: closed %d connection(s) that sent no whole request within %lld s\n",
            cut, (long long)(s->request_timeout_us / 1000000));
    run_mhd(s);
  }
}

/* MHD's own messages, minus a client that went away mid-answer: that is how
 * every event stream ends (an SSE client that closes its tab), not an error,
 * and one line per stream buried the log (494 in one run). */
static void on_mhd_log(void *cls, const char *fmt, va_list ap) {
  (void)cls;
  char line[512];
  vsnprintf(line, sizeof line, fmt, ap);
  if (strstr(line, "closed by remote peer") || strstr(line, "Connection reset by peer"))
    return;
  size_t n = strlen(line);
  fprintf(stderr, "minix-analysisd: http: %s%s", line, n && line[n - 1] == '\n' ? "" : "\n");
}

static int parse_addr(const char *host, int port, struct sockaddr_in *addr) {
  memset(addr, 0, sizeof *addr);
  addr->sin_family = AF_INET;
  addr->sin_port = htons((uint16_t)port);
  if (strcmp(host, "localhost") == 0)
    host = "127.0.0.1";
  return inet_pton(AF_INET, host, &addr->sin_addr) == 1 ? 0 : -EINVAL;
}

int http_server_start(uv_loop_t *loop, const char *host, int port, const struct http_limits *limits,
                      MHD_AccessHandlerCallback handler, MHD_RequestCompletedCallback completed,
                      void *cls, struct http_server **out, char **err) {
  struct sockaddr_in addr;
  if (parse_addr(host, port, &addr) < 0) {
    *err = util_strdupf("cannot listen on %s: an IPv4 address or localhost is needed", host);
    return -EINVAL;
  }
  struct http_server *s = calloc(1, sizeof *s);
  if (!s)
    return -ENOMEM;
  *s = (struct http_server){.handler = handler,
                            .completed = completed,
                            .cls = cls,
                            .request_timeout_us = (int64_t)limits->request_timeout_s * 1000000};
  s->pending.next = s->pending.prev = &s->pending;
  s->mhd = MHD_start_daemon(
      MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG, (uint16_t)port, NULL, NULL,
      on_request, s, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, s, MHD_OPTION_SOCK_ADDR, &addr,
      MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
      MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120, MHD_OPTION_CONNECTION_LIMIT,
      (unsigned)limits->max_connections, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
      (unsigned)limits->max_connections_per_address, MHD_OPTION_END);
  if (!s->mhd) {
    *err = util_strdupf("cannot listen on %s:%d: %s", host, port,
                        strerror(errno ? errno : EADDRINUSE));
    free(s);
    return -EADDRINUSE;
  }
  const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_EPOLL_FD);
  const union MHD_DaemonInfo *pinfo = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
  s->port = pinfo ? pinfo->port : port;
  uv_poll_init(loop, &s->poll, info->epoll_fd);
  uv_timer_init(loop, &s->timer);
  uv_timer_init(loop, &s->deadlines);
  s->poll.data = s->timer.data = s->deadlines.data = s;
  s->open_handles = 3;
  uv_poll_start(&s->poll, UV_READABLE, on_poll);
  uv_timer_start(&s->deadlines, on_deadlines, 1000, 1000);
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
  uv_close((uv_handle_t *)&s->deadlines, on_closed);
}

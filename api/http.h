/* Drives libmicrohttpd from the libuv loop. */
#pragma once
#include <microhttpd.h>
#include <uv.h>

struct http_server;

/* What one client may hold (--max-connections and the others; see server.c's usage). */
struct http_limits {
  int max_connections;
  int max_connections_per_address; /* below max_connections: one address never takes them all */
  int max_streams, max_streams_per_client; /* for api/stream_limits.c */
  int request_timeout_s; /* from a connection's start (or its last answer) to a whole request */
};

/* Listens on host:port (IPv4 literal or "localhost") and serves with handler/completed. */
int http_server_start(uv_loop_t *loop, const char *host, int port, const struct http_limits *limits,
                      MHD_AccessHandlerCallback handler, MHD_RequestCompletedCallback completed,
                      void *cls, struct http_server **out, char **err);
/* The port actually bound (useful with port 0). */
int http_server_port(const struct http_server *s);
/* Runs MHD on the next loop turn: resumed connections need it (MHD's epoll fd
 * does not wake for them in external mode). Safe inside MHD callbacks. */
void http_server_wake(void *server);
/* Stops accepting new connections; requests in flight continue. */
void http_server_quiesce(struct http_server *s);
/* Stops the daemon, closes every connection; cb runs once the loop handles are closed. */
void http_server_stop(struct http_server *s, void (*cb)(void *), void *userdata);

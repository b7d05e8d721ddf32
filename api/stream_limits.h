/* How many event streams the daemon holds open: streams live as long as a
 * run, so without a cap one client could take every connection. A total cap
 * below the connection limit keeps a reserve for short requests (health,
 * metrics, polls); a cap per client (its token, else its address) keeps one
 * client from taking all streams. */
#pragma once
#include <stdbool.h>

struct stream_limits;

struct stream_limits *stream_limits_new(int max_total, int max_per_client);
void stream_limits_free(struct stream_limits *l);
/* 0, or -EMFILE (the daemon's streams are all taken) or -EUSERS (this client's are). */
int stream_limits_take(struct stream_limits *l, const char *client);
void stream_limits_give(struct stream_limits *l, const char *client);
/* What stream_limits_take would answer, taking nothing: work that will stream
 * asks first, so that it is not started for a client it cannot answer. */
int stream_limits_check(const struct stream_limits *l, const char *client);
/* Streams open now, for metrics and tests. */
int stream_limits_open(const struct stream_limits *l);

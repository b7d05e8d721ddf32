#include "api/stream_limits.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* One row per client with a stream open: at most max_total rows, so a linear
 * search over a few hundred short keys. */
struct holder {
  char *client;
  int open;
};

struct stream_limits {
  int max_total, max_per_client, open;
  struct holder *holders; /* max_total of them */
};

struct stream_limits *stream_limits_new(int max_total, int max_per_client) {
  struct stream_limits *l = calloc(1, sizeof *l);
  if (!l || !(l->holders = calloc((size_t)(max_total > 0 ? max_total : 1), sizeof *l->holders))) {
    free(l);
    return NULL;
  }
  l->max_total = max_total;
  l->max_per_client = max_per_client;
  return l;
}

void stream_limits_free(struct stream_limits *l) {
  if (!l)
    return;
  for (int i = 0; i < l->max_total; i++)
    free(l->holders[i].client);
  free(l->holders);
  free(l);
}

static struct holder *find(const struct stream_limits *l, const char *client) {
  for (int i = 0; i < l->max_total; i++)
    if (l->holders[i].client && strcmp(l->holders[i].client, client) == 0)
      return &l->holders[i];
  return NULL;
}

int stream_limits_check(const struct stream_limits *l, const char *client) {
  if (!l)
    return 0;
  if (l->open >= l->max_total)
    return -EMFILE;
  struct holder *h = find(l, client);
  return h && h->open >= l->max_per_client ? -EUSERS : 0;
}

int stream_limits_take(struct stream_limits *l, const char *client) {
  int r = stream_limits_check(l, client);
  if (!l || r < 0)
    return r;
  struct holder *h = find(l, client);
  for (int i = 0; !h && i < l->max_total; i++)
    if (!l->holders[i].client) {
      h = &l->holders[i];
      if (!(h->client = strdup(client)))
        return -ENOMEM;
    }
  h->open++;
  l->open++;
  return 0;
}

void stream_limits_give(struct stream_limits *l, const char *client) {
  struct holder *h = l ? find(l, client) : NULL;
  if (!h)
    return;
  l->open--;
  if (--h->open == 0) {
    free(h->client);
    h->client = NULL;
  }
}

int stream_limits_open(const struct stream_limits *l) { return l ? l->open : 0; }

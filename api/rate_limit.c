#include "api/rate_limit.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CLIENTS 1024 /* beyond, the longest idle client's bucket is reused */

struct bucket {
  char *client;
  double tokens;
  int64_t at_us;
};

struct rate_limit {
  double rate, burst;
  struct bucket b[MAX_CLIENTS];
  size_t n;
  uint64_t rejected;
};

struct rate_limit *rate_limit_new(double rate, double burst) {
  struct rate_limit *rl = calloc(1, sizeof *rl);
  if (rl) {
    rl->rate = rate;
    rl->burst = burst >= 1 ? burst : 1;
  }
  return rl;
}

void rate_limit_free(struct rate_limit *rl) {
  if (!rl)
    return;
  for (size_t i = 0; i < rl->n; i++)
    free(rl->b[i].client);
  free(rl);
}

static struct bucket *find(struct rate_limit *rl, const char *client, int64_t now_us) {
  struct bucket *idle = NULL;
  for (size_t i = 0; i < rl->n; i++) {
    if (strcmp(rl->b[i].client, client) == 0)
      return &rl->b[i];
    if (!idle || rl->b[i].at_us < idle->at_us)
      idle = &rl->b[i];
  }
  char *copy = strdup(client);
  if (!copy)
    return NULL;
  struct bucket *b = rl->n < MAX_CLIENTS ? &rl->b[rl->n++] : idle;
  if (b == idle)
    free(b->client);
  *b = (struct bucket){copy, rl->burst, now_us};
  return b;
}

int rate_limit_take(struct rate_limit *rl, const char *client, int64_t now_us) {
  if (!rl || rl->rate <= 0)
    return 0;
  struct bucket *b = find(rl, client, now_us);
  if (!b)
    return 0;
  b->tokens = fmin(rl->burst, b->tokens + (double)(now_us - b->at_us) / 1e6 * rl->rate);
  b->at_us = now_us;
  if (b->tokens >= 1) {
    b->tokens -= 1;
    return 0;
  }
  rl->rejected++;
  int wait = (int)ceil((1 - b->tokens) / rl->rate);
  return wait >= 1 ? wait : 1;
}

uint64_t rate_limit_rejected(const struct rate_limit *rl) { return rl ? rl->rejected : 0; }

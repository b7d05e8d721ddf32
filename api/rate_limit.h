/* Per-client token buckets (--rate-limit): a client is its bearer token, or
 * its address when the daemon runs without --auth. */
#pragma once
#include <stdint.h>

struct rate_limit;

/* rate: requests per second refilled; burst: bucket size. */
struct rate_limit *rate_limit_new(double rate, double burst);
void rate_limit_free(struct rate_limit *rl);
/* 0 when the request may go on (a token is taken), else the seconds to wait (>= 1). */
int rate_limit_take(struct rate_limit *rl, const char *client, int64_t now_us);
/* Requests refused so far. */
uint64_t rate_limit_rejected(const struct rate_limit *rl);

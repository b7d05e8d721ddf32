/* Matching console text, which the guest controls, with bounded work per start position.
 * pcre2_match without a match context allows 10 M backtracking steps: one failing match of a
 * pattern like ^(.+)+[XY]$ then takes 17-30 ms of the event loop, on every line. Every match of
 * guest text goes through a regex_matcher, whose limits stop such a match early; a match stopped
 * so counts as no match, and is counted. */
#pragma once
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stddef.h>
#include <stdint.h>

/* Steps (PCRE2's match limit) one start position may take. The shipped profiles and scenarios
 * need at most 13 on their real console text, and 4,506 for a scenario's "(.*\n)*" over 1,500
 * lines (interpreter; 820 with JIT). At this limit a failing ^(.+)+[XY]$ on a 4,095-byte line
 * gives up after 0.04 ms with JIT (0.35 ms without); PCRE2's default of 10 M took 38 to 52 ms
 * (medians on a loaded 2-core machine). The limit holds per start position, not per search: a
 * pattern that stays just under it at every position of a long subject still costs that many
 * times its cost (README, Marker profiles). */
#define REGEX_MATCH_LIMIT 30000
/* Nested backtracking (PCRE2's depth limit; the interpreter's memory, ignored by JIT): the
 * shipped patterns need 3 per line of "(.*\n)*", so 10,000 is room for 3,000 lines. */
#define REGEX_DEPTH_LIMIT 10000
/* What regex_match returns for a match that a limit stopped. */
#define REGEX_GAVE_UP PCRE2_ERROR_MATCHLIMIT

struct regex_matcher {
  pcre2_match_data *md; /* the last match's groups */
  pcre2_match_context *ctx;
  uint64_t gave_up; /* matches stopped by a limit so far */
};

/* Sets up m; 0 or -ENOMEM (then regex_matcher_clear is still safe). */
int regex_matcher_init(struct regex_matcher *m);
/* Frees what m holds (a zeroed m is fine). */
void regex_matcher_clear(struct regex_matcher *m);
/* Searches text[0, len) from start: pcre2_match's result (>= 0 a match, its groups in m->md),
 * PCRE2_ERROR_NOMATCH, or REGEX_GAVE_UP when a limit stopped it (counted in m->gave_up). */
int regex_match(struct regex_matcher *m, const pcre2_code *re, const char *text, size_t len,
                size_t start);

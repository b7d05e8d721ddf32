#include "lib/regex_match.h"

#include <errno.h>

int regex_matcher_init(struct regex_matcher *m) {
  *m = (struct regex_matcher){0};
  m->md = pcre2_match_data_create(10, NULL);
  m->ctx = pcre2_match_context_create(NULL);
  if (!m->md || !m->ctx)
    return -ENOMEM;
  pcre2_set_match_limit(m->ctx, REGEX_MATCH_LIMIT);
  pcre2_set_depth_limit(m->ctx, REGEX_DEPTH_LIMIT);
  return 0;
}

void regex_matcher_clear(struct regex_matcher *m) {
  pcre2_match_data_free(m->md);
  pcre2_match_context_free(m->ctx);
  m->md = NULL;
  m->ctx = NULL;
}

int regex_match(struct regex_matcher *m, const pcre2_code *re, const char *text, size_t len,
                size_t start) {
  int rc = pcre2_match(re, (PCRE2_SPTR)text, len, start, 0, m->md, m->ctx);
  switch (rc) {
  case PCRE2_ERROR_MATCHLIMIT:
  case PCRE2_ERROR_DEPTHLIMIT:
  case PCRE2_ERROR_HEAPLIMIT:
  case PCRE2_ERROR_JIT_STACKLIMIT: m->gave_up++; return REGEX_GAVE_UP;
  default: return rc;
  }
}

#include "api/page_cache.h"

#include <stdlib.h>
#include <string.h>

#define SLOTS 8

struct slot {
  char *key, *body;
  uint64_t gen;
  unsigned long used;
};

struct page_cache {
  struct slot slots[SLOTS];
  unsigned long clock;
};

struct page_cache *page_cache_new(void) {
  return calloc(1, sizeof(struct page_cache));
}

void page_cache_free(struct page_cache *c) {
  if (!c)
    return;
  for (int i = 0; i < SLOTS; i++) {
    free(c->slots[i].key);
    free(c->slots[i].body);
  }
  free(c);
}

const char *page_cache_get(const struct page_cache *c, const char *key, uint64_t gen) {
  for (int i = 0; c && i < SLOTS; i++)
    if (c->slots[i].key && c->slots[i].gen == gen && strcmp(c->slots[i].key, key) == 0)
      return c->slots[i].body;
  return NULL;
}

void page_cache_put(struct page_cache *c, const char *key, uint64_t gen, const char *body) {
  if (!c)
    return;
  struct slot *s = &c->slots[0];
  for (int i = 0; i < SLOTS; i++) { /* the same key, else the least recently stored */
    if (c->slots[i].key && strcmp(c->slots[i].key, key) == 0) {
      s = &c->slots[i];
      break;
    }
    if (c->slots[i].used < s->used)
      s = &c->slots[i];
  }
  char *k = strdup(key), *b = strdup(body);
  if (!k || !b) {
    free(k);
    free(b);
    return;
  }
  free(s->key);
  free(s->body);
  *s = (struct slot){k, b, gen, ++c->clock};
}

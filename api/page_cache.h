/* The last rendered page of GET /api/v1/runs, kept while no run changes: a
 * dashboard polling the newest runs costs one string copy, not 50 run objects
 * rebuilt and serialized. */
#pragma once
#include <stddef.h>
#include <stdint.h>

struct page_cache;

struct page_cache *page_cache_new(void);
void page_cache_free(struct page_cache *c);
/* The cached body for key made at generation gen, or NULL. */
const char *page_cache_get(const struct page_cache *c, const char *key, uint64_t gen);
/* Keeps a copy of body for key at generation gen (replacing what was there). */
void page_cache_put(struct page_cache *c, const char *key, uint64_t gen, const char *body);

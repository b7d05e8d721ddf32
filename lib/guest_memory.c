#include "lib/guest_memory.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

json_t *guest_memory_scenario(int interval_ms) {
  /* The END marker is spelled apart in the command, so its echo does not match. */
  return json_pack("{s:s, s:s, s:[{s:s, s:s, s:s, s:i}, {s:s, s:s}, {s:s, s:s, s:s, s:f}]}", "name",
                   "guest-meminfo", "description",
                   "log in as root, then print /proc/meminfo between markers", "steps", "name",
                   "login", "expect", "login: ?$", "send", "root\r", "timeout_s", 600, "name",
                   "shell", "expect", "(^|\n)[^\n]*# $", "name", "meminfo", "capture",
                   "\nMA-MEM-BEGIN\n((.*\n)*?)MA-MEM-END\n", "send",
                   "echo MA-MEM-BEGIN; cat /proc/meminfo; echo MA-MEM-\"\"END\r", "every_s",
                   interval_ms / 1000.0);
}

/* MINIX's /proc/meminfo is one line of page counts, "pagesize total free largest cached" (its
 * procfs, root.c); given in kB under the names Linux uses for the same things, largest as
 * LargestFree. */
static json_t *minix_meminfo(const char *text) {
  unsigned long long v[5];
  int end = 0;
  for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
    size_t n = strspn(l, "0123456789 \r"); /* a line of numbers only, all five on it */
    if ((l[n] && l[n] != '\n') ||
        sscanf(l, "%llu %llu %llu %llu %llu%n", &v[0], &v[1], &v[2], &v[3], &v[4], &end) != 5 ||
        (size_t)end > n || strspn(l + end, " \r") != n - (size_t)end)
      continue;
    if (v[0] < 512 || v[0] > (1u << 20) || v[0] % 512)
      continue; /* not a page size */
    json_t *out = json_object();
    const char *keys[] = {"MemTotal", "MemFree", "LargestFree", "Cached"};
    for (int i = 0; i < 4; i++) {
      unsigned long long pages =
          v[i + 1] < (1ull << 40) ? v[i + 1] : 1ull << 40; /* no overflow below */
      json_object_set_new(out, keys[i], json_integer((json_int_t)(pages * v[0] / 1024)));
    }
    return out;
  }
  return NULL;
}

json_t *guest_memory_parse(const char *text) {
  json_t *minix = minix_meminfo(text);
  if (minix)
    return minix;
  json_t *out = json_object();
  for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
    const char *colon = strchr(l, ':'), *eol = strchr(l, '\n');
    if (!colon || (eol && colon > eol) || colon == l)
      continue;
    char key[64];
    size_t n = (size_t)(colon - l) < sizeof key - 1 ? (size_t)(colon - l) : sizeof key - 1;
    memcpy(key, l, n);
    key[n] = '\0';
    char *end;
    long long v = strtoll(colon + 1, &end, 10);
    if (end == colon + 1)
      continue;
    /* Linux writes kB; a value with another unit or none is kept as the number it is. */
    json_object_set_new(out, key, json_integer(v));
  }
  if (json_object_size(out) == 0) {
    json_decref(out);
    return NULL;
  }
  return out;
}

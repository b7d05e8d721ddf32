#include "lib/guest_memory.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

json_t *guest_memory_scenario(int interval_ms) {
  /* The END marker is spelled apart in the command, so its echo does not match. */
  return json_pack("{s:s, s:s, s:[{s:s, s:s, s:s, s:i}, {s:s, s:s}, {s:s, s:s, s:s, s:f}]}", "name",
                   "guest-meminfo", "description", "log in as root, then print /proc/meminfo between markers", "steps",
                   "name", "login", "expect", "login: ?$", "send", "root\r", "timeout_s", 600,
                   "name", "shell", "expect", "(^|\n)# ",
                   "name", "meminfo", "capture", "\nMA-MEM-BEGIN\n((.*\n)*?)MA-MEM-END\n", "send",
                   "echo MA-MEM-BEGIN; cat /proc/meminfo; echo MA-MEM-\"\"END\r", "every_s", interval_ms / 1000.0);
}

json_t *guest_memory_parse(const char *text) {
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

/* Memory as the guest sees it: a console scenario that logs in as root and
 * prints /proc/meminfo between markers at a fixed interval, and the parser of
 * what it prints ("Key:   value kB" lines, as Linux writes them). */
#pragma once
#include <jansson.h>

/* The scenario definition: log in, then every interval_ms print /proc/meminfo until the guest stops. */
json_t *guest_memory_scenario(int interval_ms);
/* {"MemTotal": kB, ...} from the text of /proc/meminfo; values without kB are kept as they are; NULL if none. */
json_t *guest_memory_parse(const char *text);

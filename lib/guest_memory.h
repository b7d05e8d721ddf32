/* Memory as the guest sees it: a console scenario that logs in as root and
 * prints /proc/meminfo between markers at a fixed interval, and the parser of
 * what it prints ("Key:   value kB" lines, as Linux writes them, or MINIX's
 * one line of page counts). */
#pragma once
#include <jansson.h>

/* The scenario definition: log in, then every interval_ms print /proc/meminfo until the guest
 * stops. */
json_t *guest_memory_scenario(int interval_ms);
/* {"MemTotal": kB, ...} from the text of /proc/meminfo; values without kB are kept as they are;
 * NULL if none. MINIX's "pagesize total free largest cached" gives MemTotal, MemFree, LargestFree
 * and Cached in kB. */
json_t *guest_memory_parse(const char *text);

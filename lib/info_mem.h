/* HMP "info mem" summed as its reply streams in, straight from the JSON-escaped
 * text of the QMP string: nothing but the current line is held.
 *
 * Why streaming: on a 64-bit Linux guest the listing can be megabytes (3.8 MB,
 * 65,547 lines with Debian's generic kernel and 512 MB), far past what the QMP
 * framer may buffer, and HMP has no way to ask for less. Example, as QMP sends it:
 *   {"return": "0000000000400000-0000000000401000 0000000000001000 ur-\r\n", "id": "infomem"}
 * the part between the quotes goes to info_mem_scan_feed, in any number of pieces. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define INFO_MEM_LINE_MAX 128 /* a range line is 55 characters; longer lines are not ranges */

struct info_mem_scan {
  char line[INFO_MEM_LINE_MAX];
  size_t len;
  bool overlong; /* the current line outgrew line[]: it is skipped */
  int escape;    /* 0; 1 after a backslash; 2..5 inside \uXXXX */
  int64_t total_kb;
  uint64_t ranges; /* lines that listed a range */
  uint64_t bytes;  /* escaped bytes fed */
};

/* Starts a new reply. */
void info_mem_scan_reset(struct info_mem_scan *s);
/* Feeds the next piece of the escaped string (without its quotes). */
void info_mem_scan_feed(struct info_mem_scan *s, const char *escaped, size_t len);
/* Ends the reply: the total size of the listed ranges in kB, or -1 when it listed none ("PG
 * disabled"). */
int64_t info_mem_scan_kb(struct info_mem_scan *s);

/* Marker detector: turns a stamped console byte stream into lines and markers.
 * Handles lines split across reads, CR/LF, ANSI escape sequences and NUL bytes. */
#pragma once
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/profile.h"

#define DETECTOR_LINE_MAX 4096
#define DETECTOR_UNTIL_NAME "until"

enum detector_event_kind {
  DETECTOR_LINE,    /* a complete console line (escapes removed) */
  DETECTOR_MARKER,  /* a profile marker matched for the first time */
  DETECTOR_FAILURE, /* a failure pattern matched: the boot failed */
};

struct detector_event {
  enum detector_event_kind kind;
  const char *name; /* marker or failure name; NULL for lines */
  int64_t t_us;     /* stamp of the read that completed the match */
  const char *text; /* the (possibly partial, for prompts) line */
  bool terminal;    /* this marker ends the boot */
  /* Console bytes fed up to and including the one that completed it: the line's newline, or for a
   * prompt the last byte of its text read (the virtual clock's key); 0 when not known. */
  int64_t offset;
};

typedef void (*detector_cb)(void *userdata, const struct detector_event *ev);

struct detector;
/* Creates a detector for profile p; until (may be NULL) replaces the terminal
 * marker with a marker named "until". Returns NULL and sets *err on a bad regex. */
struct detector *detector_new(const struct profile *p, const char *until, detector_cb cb,
                              void *userdata, char **err);
/* Frees the detector (NULL is fine). */
void detector_free(struct detector *d);
/* Feeds bytes that arrived in one read stamped t_us; events are delivered synchronously. */
void detector_feed(struct detector *d, const void *buf, size_t len, int64_t t_us);
/* Ends the stream: a pending unterminated line is completed at t_us. */
void detector_flush(struct detector *d, int64_t t_us);
/* Whether the terminal marker has been seen. */
bool detector_done(const struct detector *d);
/* How many matches of a line gave up at the match limits (lib/regex_match.h) and so counted as
 * no match. */
uint64_t detector_gave_up(const struct detector *d);
/* CPUs the guest brought up, or -1 when the profile cannot tell. */
int detector_cpus_online(const struct detector *d);
/* New JSON array of the required markers not seen (names). */
json_t *detector_missing(const struct detector *d);

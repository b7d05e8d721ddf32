#include "lib/detector.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/regex_match.h"
#include "lib/util.h"

enum esc_state { ESC_NONE, ESC_START, ESC_CSI, ESC_OSC };

struct detector {
  const struct profile *profile;
  struct profile_marker until; /* used when an until regex was given */
  char *until_pattern;
  const struct profile_marker **markers;
  size_t n_markers, terminal;
  bool *seen;
  bool done, failed;
  struct regex_matcher rx;
  /* Every pattern in one alternation, multiline: the lines completed during one feed are kept in
   * buf and searched in one pass; only lines where it matches are tried pattern by pattern. */
  pcre2_code *any;
  /* Console text without escapes or control characters: the lines completed during this feed,
   * each ended by '\n' (only while any is set), then the unfinished line from line_start. */
  struct util_buf buf;
  size_t line_start, partial_checked;
  const char *text; /* the line being judged or reported, NUL-terminated, inside buf */
  size_t text_len;
  enum esc_state esc;
  /* Console offsets (lib/detector.h, event offset): bytes fed so far (up to and including the byte
   * being handled), the offset of the line being judged, and for each line waiting in buf for the
   * block search, where its '\n' is in buf and its offset. */
  int64_t cursor, judged_offset;
  int64_t text_cursor; /* the offset after the last byte that went into the line's text */
  bool ends_lost;      /* a line end could not be noted: this feed's lines get offset 0 */
  struct line_end {
    size_t pos;
    int64_t offset;
  } * ends;
  size_t n_ends, cap_ends;
  int cpus_value, cpus_count;
  detector_cb cb;
  void *userdata;
};

static int setup_markers(struct detector *d, const char *until, char **err) {
  const struct profile *p = d->profile;
  d->n_markers = p->n_markers + (until ? 1 : 0);
  d->markers = calloc(d->n_markers, sizeof *d->markers);
  d->seen = calloc(d->n_markers, sizeof *d->seen);
  if (!d->markers || !d->seen)
    return -1;
  for (size_t i = 0; i < p->n_markers; i++)
    d->markers[i] = &p->markers[i];
  d->terminal = p->terminal;
  if (!until)
    return 0;
  d->until.re = profile_compile(until, err);
  if (!d->until.re)
    return -1;
  d->until_pattern = strdup(until);
  d->until.name = (char *)DETECTOR_UNTIL_NAME;
  d->until.required = true;
  /* A user's terminal regex may well be a prompt without a newline. */
  d->until.prompt = true;
  d->terminal = p->n_markers;
  d->markers[d->terminal] = &d->until;
  return 0;
}

/* Patterns that would judge a line differently inside a block of lines than alone: numbered
 * references (the alternation renumbers groups), lookarounds and anchors that look past the
 * line's ends, verbs that change what a newline is. Such a profile is matched line by line. */
static bool needs_its_own_line(const char *pattern) {
  for (const char *p = pattern; (p = strchr(p, '\\')); p += 2) {
    if ((p[1] >= '1' && p[1] <= '9') || strchr("gkAzZG", p[1]))
      return true;
    if (!p[1])
      break;
  }
  static const char *const constructs[] = {"(?P=", "(?=", "(?!", "(?<=", "(?<!", "(*"};
  for (size_t i = 0; i < sizeof constructs / sizeof constructs[0]; i++)
    if (strstr(pattern, constructs[i]))
      return true;
  return false;
}

static void append_alternative(struct util_buf *b, const char *pattern) {
  util_buf_printf(b, "%s(?:%s)", b->len ? "|" : "", pattern);
}

/* The block search is only an optimisation: without it every line is simply tried against each
 * pattern as it completes. */
static void build_prefilter(struct detector *d) {
  const struct profile *p = d->profile;
  struct util_buf all = {0};
  bool ok = true;
  for (size_t i = 0; i < d->n_markers; i++) {
    const char *pat = d->markers[i] == &d->until ? d->until_pattern : d->markers[i]->pattern;
    ok &= !needs_its_own_line(pat);
    append_alternative(&all, pat);
  }
  for (size_t i = 0; i < p->n_failures; i++) {
    ok &= !needs_its_own_line(p->failures[i].pattern);
    append_alternative(&all, p->failures[i].pattern);
  }
  if (p->cpus_re && p->cpus_pattern) {
    ok &= !needs_its_own_line(p->cpus_pattern);
    append_alternative(&all, p->cpus_pattern);
  }
  char *err = NULL;
  d->any = ok && all.data ? profile_compile_flags(all.data, PCRE2_MULTILINE, &err) : NULL;
  free(err);
  util_buf_clear(&all);
}

struct detector *detector_new(const struct profile *p, const char *until, detector_cb cb,
                              void *userdata, char **err) {
  struct detector *d = calloc(1, sizeof *d);
  if (!d)
    return NULL;
  d->profile = p;
  d->cb = cb;
  d->userdata = userdata;
  d->cpus_value = -1;
  if (regex_matcher_init(&d->rx) < 0 || util_buf_append(&d->buf, "", 0) < 0 ||
      setup_markers(d, until, err) < 0) {
    detector_free(d);
    return NULL;
  }
  build_prefilter(d);
  return d;
}

void detector_free(struct detector *d) {
  if (!d)
    return;
  pcre2_code_free(d->any);
  util_buf_clear(&d->buf);
  free(d->ends);
  pcre2_code_free(d->until.re);
  free(d->until_pattern);
  regex_matcher_clear(&d->rx);
  free(d->markers);
  free(d->seen);
  free(d);
}

static bool match(struct detector *d, const pcre2_code *re) {
  return regex_match(&d->rx, re, d->text, d->text_len, 0) >= 0;
}

static void emit(struct detector *d, enum detector_event_kind kind, const char *name, int64_t t_us,
                 bool terminal) {
  struct detector_event ev = {kind, name, t_us, d->text, terminal, d->judged_offset};
  d->cb(d->userdata, &ev);
}

static void match_markers(struct detector *d, int64_t t_us, bool complete) {
  for (size_t i = 0; i < d->n_markers && !d->done; i++) {
    const struct profile_marker *m = d->markers[i];
    if (d->seen[i] || (!complete && !m->prompt) || !match(d, m->re))
      continue;
    d->seen[i] = true;
    d->done = i == d->terminal;
    emit(d, DETECTOR_MARKER, m->name, t_us, d->done);
  }
}

static void match_cpus(struct detector *d) {
  const struct profile *p = d->profile;
  if (!p->cpus_re || !match(d, p->cpus_re))
    return;
  if (p->cpus_mode == PROFILE_CPUS_COUNT) {
    d->cpus_count++;
    return;
  }
  PCRE2_SIZE *ov = pcre2_get_ovector_pointer(d->rx.md);
  if (pcre2_get_ovector_count(d->rx.md) > 1 && ov[2] != PCRE2_UNSET)
    d->cpus_value = atoi(d->text + ov[2]);
}

static void match_failures(struct detector *d, int64_t t_us) {
  for (size_t i = 0; i < d->profile->n_failures && !d->failed; i++) {
    if (!match(d, d->profile->failures[i].re))
      continue;
    d->failed = true;
    emit(d, DETECTOR_FAILURE, d->profile->failures[i].name, t_us, false);
  }
}

/* Markers, CPU counts and failures are boot facts: once the boot has ended (terminal marker or
 * failure), later lines are only logged. */
static void judge(struct detector *d, const char *text, size_t len, int64_t t_us) {
  d->text = text;
  d->text_len = len;
  match_cpus(d);
  match_failures(d, t_us);
  if (!d->failed)
    match_markers(d, t_us, true);
}

static size_t line_len(const struct detector *d) { return d->buf.len - d->line_start; }

/* Judges the line of the block that starts at start; returns where the next line starts. */
static size_t judge_line_at(struct detector *d, size_t start, int64_t t_us) {
  char *b = d->buf.data;
  size_t end = (size_t)((char *)memchr(b + start, '\n', d->line_start - start) - b);
  size_t lo = 0, hi = d->n_ends; /* the line's entry: ends are in buf order */
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (d->ends[mid].pos < end)
      lo = mid + 1;
    else
      hi = mid;
  }
  /* 0 (no byte, so no count) where the line's end was not noted: never another line's. */
  d->judged_offset =
      !d->ends_lost && lo < d->n_ends && d->ends[lo].pos == end ? d->ends[lo].offset : 0;
  b[end] = '\0'; /* a string for the events while it is judged */
  judge(d, b + start, end - start, t_us);
  b[end] = '\n'; /* what the next search sees before its start */
  return end + 1;
}

/* The lines completed since the last search, in order; the search goes on past a line that only
 * looked like a match (\s spans a newline here, say). When a limit stops the search, it is not
 * known which line stopped it: from there on each line is judged alone, as without the block
 * search, so a pattern that gives up on one line does not hide the markers of the others. The
 * unfinished line moves to the front. */
static void judge_block(struct detector *d, int64_t t_us) {
  char *b = d->buf.data;
  size_t pos = 0, n = d->line_start;
  bool alone = false;
  while (pos < n && !d->done && !d->failed) {
    if (!alone) {
      int rc = regex_match(&d->rx, d->any, b, n, pos);
      alone = rc == REGEX_GAVE_UP;
      if (rc < 0 && !alone)
        break;
    }
    size_t start = alone ? pos : pcre2_get_ovector_pointer(d->rx.md)[0];
    while (start > pos && b[start - 1] != '\n')
      start--;
    pos = judge_line_at(d, start, t_us);
  }
  memmove(b, b + n, d->buf.len - n + 1);
  d->buf.len -= n;
  d->line_start = 0;
  d->n_ends = 0;
  d->ends_lost = false;
}

/* Where the line now queued for the block search ends: its '\n' at buf position pos. */
static void note_line_end(struct detector *d, size_t pos) {
  if (d->n_ends == d->cap_ends) {
    size_t cap = d->cap_ends ? 2 * d->cap_ends : 64;
    struct line_end *e = realloc(d->ends, cap * sizeof *e);
    if (!e) {
      d->ends_lost = true;
      return;
    }
    d->ends = e;
    d->cap_ends = cap;
  }
  d->ends[d->n_ends++] = (struct line_end){pos, d->cursor};
}

/* Room was made for the whole feed when it began: each byte read adds one byte at most, and each
 * overlong line broken up one '\n'. */
static void add_text(struct detector *d, const void *text, size_t n) {
  memcpy(d->buf.data + d->buf.len, text, n);
  d->buf.len += n;
  d->buf.data[d->buf.len] = '\0';
}

static void complete_line(struct detector *d, int64_t t_us) {
  char *line = d->buf.data + d->line_start; /* NUL-terminated: util_buf keeps it so */
  d->text = line;
  d->text_len = line_len(d);
  d->judged_offset = d->cursor;
  emit(d, DETECTOR_LINE, NULL, t_us, false);
  bool judging = !d->done && !d->failed;
  if (judging && d->any) { /* judged with the others of this feed */
    note_line_end(d, d->buf.len);
    add_text(d, "\n", 1);
    d->line_start = d->buf.len;
  } else {
    if (judging)
      judge(d, line, line_len(d), t_us);
    d->buf.len = d->line_start;
    d->buf.data[d->buf.len] = '\0';
  }
  d->partial_checked = 0;
}

static void push_text(struct detector *d, unsigned char c, int64_t t_us) {
  if (c == '\n') {
    complete_line(d, t_us);
    return;
  }
  if (c == '\r' || c == '\0' || (c < 0x20 && c != '\t') || c == 0x7f)
    return;
  add_text(d, &c, 1);
  d->text_cursor = d->cursor;
  if (line_len(d) == DETECTOR_LINE_MAX)
    complete_line(d, t_us);
}

static void push_byte(struct detector *d, unsigned char c, int64_t t_us) {
  switch (d->esc) {
  case ESC_NONE:
    if (c == 0x1b)
      d->esc = ESC_START;
    else
      push_text(d, c, t_us);
    break;
  case ESC_START: d->esc = c == '[' ? ESC_CSI : c == ']' ? ESC_OSC : ESC_NONE; break;
  case ESC_CSI:
    if (c >= 0x40 && c <= 0x7e)
      d->esc = ESC_NONE;
    break;
  case ESC_OSC:
    if (c == 0x07)
      d->esc = ESC_NONE;
    else if (c == 0x1b)
      d->esc = ESC_START;
    break;
  }
}

/* The first byte from p on that is a control character (< 0x20 or 0x7f), or end. Eight bytes at
 * a time: console text is mostly long runs of printable bytes. */
static const unsigned char *next_control(const unsigned char *p, const unsigned char *end) {
  const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
  while (end - p >= 8) {
    uint64_t x;
    memcpy(&x, p, 8);
    uint64_t below_space =
        (x - 0x20 * ones) & ~x & highs; /* bytes < 0x20; UTF-8 bytes (>= 0x80) never */
    uint64_t y = x ^ (0x7f * ones);
    uint64_t del = (y - ones) & ~y & highs; /* bytes == 0x7f */
    if (below_space | del)
      break;
    p += 8;
  }
  while (p < end && *p >= 0x20 && *p != 0x7f)
    p++;
  return p;
}

/* Copies a run of ordinary bytes (no control character) into the line. */
static const unsigned char *copy_text(struct detector *d, const unsigned char *p,
                                      const unsigned char *end, int64_t t_us) {
  const unsigned char *q = next_control(p, end);
  while (p < q) {
    size_t take = (size_t)(q - p), room = DETECTOR_LINE_MAX - line_len(d);
    take = take < room ? take : room;
    add_text(d, p, take);
    p += take;
    d->cursor += (int64_t)take;
    d->text_cursor = d->cursor;
    if (line_len(d) == DETECTOR_LINE_MAX)
      complete_line(d, t_us);
  }
  return p;
}

void detector_feed(struct detector *d, const void *buf, size_t len, int64_t t_us) {
  const unsigned char *p = buf, *end = p + len;
  if (util_buf_reserve(&d->buf, len + len / DETECTOR_LINE_MAX + 1) < 0) {
    d->cursor += (int64_t)len;
    return; /* out of memory: this read is lost to detection, the detector goes on */
  }
  while (p < end) {
    /* Most console bytes are plain text: copy runs of them, not byte by byte. */
    if (d->esc == ESC_NONE)
      p = copy_text(d, p, end, t_us);
    if (p < end) {
      d->cursor++;
      push_byte(d, *p++, t_us);
    }
  }
  /* Prompts never end in a newline: try prompt markers on the unfinished line
   * now, so they are stamped with the read that completed them. Other markers
   * match whole lines: their match completes with the newline. */
  if (d->line_start)
    judge_block(d, t_us);
  if (line_len(d) > d->partial_checked && !d->done && !d->failed) {
    d->text = d->buf.data + d->line_start;
    d->text_len = line_len(d);
    /* The prompt's last byte, not a CR, NUL or escape read after it. */
    d->judged_offset = d->text_cursor;
    match_markers(d, t_us, false);
    d->partial_checked = line_len(d);
  }
}

void detector_flush(struct detector *d, int64_t t_us) {
  if (line_len(d) > 0)
    complete_line(d, t_us);
  if (d->line_start)
    judge_block(d, t_us);
}

bool detector_done(const struct detector *d) { return d->done; }

uint64_t detector_gave_up(const struct detector *d) { return d->rx.gave_up; }

int detector_cpus_online(const struct detector *d) {
  const struct profile *p = d->profile;
  if (p->cpus_mode == PROFILE_CPUS_VALUE && d->cpus_value >= 0)
    return d->cpus_value;
  if (p->cpus_mode == PROFILE_CPUS_COUNT && d->cpus_count > 0)
    return d->cpus_count;
  /* "Nothing printed" only means something about a boot that got all the way. */
  return d->done ? p->cpus_when_absent : -1;
}

json_t *detector_missing(const struct detector *d) {
  json_t *arr = json_array();
  for (size_t i = 0; i < d->n_markers; i++)
    if (d->markers[i]->required && !d->seen[i])
      json_array_append_new(arr, json_string(d->markers[i]->name));
  return arr;
}

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/regex_match.h"
#include "lib/scenario_def.h"
#include "lib/util.h"

/* Text not yet consumed by a match; prompts are short, so the tail is enough. */
#define BUF_MAX 16384
#define SHOWN_MAX 200

struct scenario_run {
  const struct scenario *sc;
  struct scenario_callbacks cb;
  void *userdata;
  size_t step;
  enum scenario_state state;
  int64_t step_start_us, last_output_us;
  char buf[BUF_MAX + 1];
  size_t len;
  struct regex_matcher rx;
  char *error_code, *error_message;
  int esc; /* 0, 1 after ESC, 2 inside a CSI sequence */
  int64_t next_poll_us;
};

struct hit {
  size_t start, end;
  int which; /* -2 fail, -1 expect/until, >= 0 an answer */
};

static double secs(int64_t us) { return (double)us / 1e6; }

/* The last line of pending output, trimmed for messages. */
static const char *last_line(struct scenario_run *r, char *out, size_t cap) {
  size_t end = r->len;
  while (end > 0 && r->buf[end - 1] == '\n')
    end--;
  size_t start = end;
  while (start > 0 && r->buf[start - 1] != '\n')
    start--;
  if (end - start > cap - 1)
    start = end - (cap - 1);
  memcpy(out, r->buf + start, end - start);
  out[end - start] = '\0';
  return out;
}

static void fail(struct scenario_run *r, const char *code, char *message) {
  r->state = SCENARIO_FAILED;
  r->error_code = strdup(code);
  r->error_message = message;
}

static void enter_step(struct scenario_run *r, size_t i, int64_t t_us) {
  r->step = i;
  r->step_start_us = r->last_output_us = t_us;
  if (i >= r->sc->n_steps) {
    r->state = SCENARIO_DONE;
    return;
  }
  if (r->cb.progress)
    r->cb.progress(r->userdata, r->sc->steps[i].name, "step started", t_us);
  r->next_poll_us = t_us; /* a poll step sends at once */
}

struct scenario_run *scenario_run_new(const struct scenario *sc,
                                      const struct scenario_callbacks *cb, void *userdata,
                                      int64_t t_us) {
  struct scenario_run *r = calloc(1, sizeof *r);
  if (!r)
    return NULL;
  r->sc = sc;
  r->cb = *cb;
  r->userdata = userdata;
  if (regex_matcher_init(&r->rx) < 0) {
    regex_matcher_clear(&r->rx);
    free(r);
    return NULL;
  }
  enter_step(r, 0, t_us);
  return r;
}

void scenario_run_free(struct scenario_run *r) {
  if (!r)
    return;
  regex_matcher_clear(&r->rx);
  free(r->error_code);
  free(r->error_message);
  free(r);
}

static bool find(struct scenario_run *r, const struct scenario_pattern *p, int which,
                 struct hit *best) {
  if (!p->re || regex_match(&r->rx, p->re, r->buf, r->len, 0) < 0)
    return false;
  PCRE2_SIZE *ov = pcre2_get_ovector_pointer(r->rx.md);
  if (best->which != INT32_MIN && ov[0] >= best->start)
    return false;
  *best = (struct hit){ov[0], ov[1], which};
  return true;
}

/* "$1" in a progress label becomes the answer's first group. */
static char *label(struct scenario_run *r, const struct scenario_answer *a) {
  const char *ph = strstr(a->progress, "$1");
  if (regex_match(&r->rx, a->match.re, r->buf, r->len, 0) < 2 || !ph)
    return strdup(a->progress);
  PCRE2_SIZE *ov = pcre2_get_ovector_pointer(r->rx.md);
  return util_strdupf("%.*s%.*s%s", (int)(ph - a->progress), a->progress, (int)(ov[3] - ov[2]),
                      r->buf + ov[2], ph + 2);
}

static void send(struct scenario_run *r, const char *text) {
  if (text && r->cb.send)
    r->cb.send(r->userdata, text, strlen(text));
}

static void consume(struct scenario_run *r, size_t end) {
  memmove(r->buf, r->buf + end, r->len - end);
  r->len -= end;
  r->buf[r->len] = '\0';
}

/* A poll step hands over each capture and keeps the rest of the output. */
static bool poll_once(struct scenario_run *r, const struct scenario_step *st, int64_t t_us) {
  int n = regex_match(&r->rx, st->expect.re, r->buf, r->len, 0);
  if (n < 1)
    return false;
  PCRE2_SIZE *ov = pcre2_get_ovector_pointer(r->rx.md);
  size_t from = n >= 2 ? ov[2] : ov[0], to = n >= 2 ? ov[3] : ov[1], end = ov[1];
  char *text = strndup(r->buf + from, to - from);
  consume(r, end);
  if (text && r->cb.captured)
    r->cb.captured(r->userdata, st->name, text, t_us);
  free(text);
  return true;
}

/* One match at a time, earliest first: a dialogue answers its prompts in the order the guest asks
 * them. */
static bool step_once(struct scenario_run *r, int64_t t_us) {
  const struct scenario_step *st = &r->sc->steps[r->step];
  if (st->kind == STEP_EXIT)
    return false;
  if (st->kind == STEP_POLL)
    return poll_once(r, st, t_us);
  struct hit best = {0, 0, INT32_MIN};
  find(r, &st->fail, -2, &best);
  find(r, &st->expect, -1, &best);
  for (size_t i = 0; i < st->n_answers; i++)
    find(r, &st->answers[i].match, (int)i, &best);
  if (best.which == INT32_MIN)
    return false;
  if (best.which == -2) {
    fail(r, "scenario_failed",
         util_strdupf(
             "step %s: the guest printed \"%.*s\", which the scenario treats as a failure (/%s/)",
             st->name, (int)(best.end - best.start > SHOWN_MAX ? SHOWN_MAX : best.end - best.start),
             r->buf + best.start, st->fail.source));
    return false;
  }
  if (best.which >= 0) {
    const struct scenario_answer *a = &st->answers[best.which];
    char *text = a->progress ? label(r, a) : NULL;
    consume(r, best.end);
    send(r, a->send);
    if (text && r->cb.progress)
      r->cb.progress(r->userdata, st->name, text, t_us);
    free(text);
    return true;
  }
  consume(r, best.end);
  send(r, st->send);
  enter_step(r, r->step + 1, t_us);
  return r->state == SCENARIO_RUNNING;
}

void scenario_feed(struct scenario_run *r, const char *buf, size_t len, int64_t t_us) {
  if (r->state != SCENARIO_RUNNING)
    return;
  for (size_t i = 0; i < len; i++) {
    /* Terminal control (a shell asking for the cursor position after its prompt) is not text to
     * match. */
    unsigned char c = (unsigned char)buf[i];
    if (r->esc == 1) {
      r->esc = c == '[' ? 2 : 0;
      continue;
    }
    if (r->esc == 2) {
      r->esc = c >= 0x40 && c <= 0x7e ? 0 : 2;
      continue;
    }
    if (c == 0x1b) {
      r->esc = 1;
      continue;
    }
    if (buf[i] == '\r' || buf[i] == '\0')
      continue;
    if (r->len == BUF_MAX)
      consume(r, BUF_MAX / 2);
    r->buf[r->len++] = buf[i];
  }
  r->buf[r->len] = '\0';
  r->last_output_us = t_us;
  while (r->state == SCENARIO_RUNNING && step_once(r, t_us))
    ;
}

void scenario_tick(struct scenario_run *r, int64_t t_us) {
  if (r->state != SCENARIO_RUNNING)
    return;
  const struct scenario_step *st = &r->sc->steps[r->step];
  if (st->kind == STEP_POLL) {
    if (t_us >= r->next_poll_us) {
      send(r, st->send);
      r->next_poll_us = t_us + (int64_t)(st->every_s * 1e6);
    }
    return;
  }
  char shown[SHOWN_MAX + 1];
  if (t_us - r->step_start_us > (int64_t)(st->timeout_s * 1e6)) {
    fail(r, "scenario_timeout",
         util_strdupf("step %s: waited %.1f s for %s; the last output was \"%s\"", st->name,
                      st->timeout_s,
                      st->kind == STEP_EXIT ? "the guest to power off" : st->expect.source,
                      last_line(r, shown, sizeof shown)));
    return;
  }
  if (st->stall_s <= 0 || st->kind == STEP_EXIT ||
      t_us - r->last_output_us < (int64_t)(st->stall_s * 1e6))
    return;
  last_line(r, shown, sizeof shown);
  if (shown[0] && r->buf[r->len - 1] != '\n' &&
      regex_match(&r->rx, st->prompt.re, shown, strlen(shown), 0) >= 0)
    fail(r, "unexpected_prompt",
         util_strdupf("step %s: the guest asks \"%s\" and has waited %.1f s; the scenario has no "
                      "answer for it",
                      st->name, shown, secs(t_us - r->last_output_us)));
}

void scenario_guest_exited(struct scenario_run *r, int64_t t_us) {
  if (r->state != SCENARIO_RUNNING)
    return;
  const struct scenario_step *st = &r->sc->steps[r->step];
  if (st->kind == STEP_EXIT || st->kind == STEP_POLL) {
    enter_step(r, r->step + 1, t_us);
    if (r->state == SCENARIO_DONE)
      return;
  }
  char shown[SHOWN_MAX + 1];
  fail(r, "guest_exited",
       util_strdupf(
           "step %s: the guest stopped before the scenario ended; the last output was \"%s\"",
           r->sc->steps[r->step < r->sc->n_steps ? r->step : r->sc->n_steps - 1].name,
           last_line(r, shown, sizeof shown)));
}

enum scenario_state scenario_state(const struct scenario_run *r) { return r->state; }
uint64_t scenario_gave_up(const struct scenario_run *r) { return r->rx.gave_up; }
const char *scenario_error_code(const struct scenario_run *r) { return r->error_code; }
const char *scenario_error_message(const struct scenario_run *r) { return r->error_message; }

json_t *scenario_status(const struct scenario_run *r) {
  static const char *const states[] = {"running", "done", "failed"};
  const char *step = r->step < r->sc->n_steps ? r->sc->steps[r->step].name : NULL;
  return json_pack("{s:s, s:s?, s:i, s:i, s:s}", "scenario", r->sc->name, "step", step,
                   "step_index", (int)r->step, "steps", (int)r->sc->n_steps, "state",
                   states[r->state]);
}

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/embedded.h"
#include "lib/profile.h"
#include "lib/scenario_def.h"
#include "lib/util.h"

/* Questions end in "?", ":", "]" or ">", maybe followed by one space. */
#define DEFAULT_PROMPT "[?:\\]>] ?$"
#define DEFAULT_TIMEOUT_S 60.0
#define MAX_TIMEOUT_S 86400.0

static int bad(struct ma_error *err, const char *field, const char *fmt, const char *a,
               const char *b) {
  ma_error_set(err, EINVAL, "invalid_scenario", field, fmt, a, b);
  return -EINVAL;
}

static int compile(struct scenario_pattern *p, json_t *v, const char *field, const char *step,
                   struct ma_error *err) {
  if (!json_is_string(v))
    return bad(err, field, "step %s: %s must be a regular expression string", step, field);
  char *rerr = NULL;
  p->re = profile_compile(json_string_value(v), &rerr);
  if (!p->re) {
    ma_error_set(err, EINVAL, "invalid_scenario", field, "step %s: %s: %s", step, field, rerr);
    free(rerr);
    return -EINVAL;
  }
  p->source = strdup(json_string_value(v));
  return 0;
}

static int opt_string(char **out, json_t *v, const char *field, const char *step,
                      struct ma_error *err) {
  if (!v)
    return 0;
  if (!json_is_string(v))
    return bad(err, field, "step %s: %s must be a string", step, field);
  *out = strdup(json_string_value(v));
  return 0;
}

static int seconds(double *out, json_t *v, double dflt, const char *field, const char *step,
                   struct ma_error *err) {
  *out = dflt;
  if (!v)
    return 0;
  if (!json_is_number(v) || json_number_value(v) < 0 || json_number_value(v) > MAX_TIMEOUT_S)
    return bad(err, field, "step %s: %s must be a number of seconds from 0 to 86400", step, field);
  *out = json_number_value(v);
  return 0;
}

static bool only_keys(json_t *obj, const char *const *allowed, const char **unknown) {
  const char *key;
  json_t *v;
  json_object_foreach(obj, key, v) {
    bool ok = false;
    for (const char *const *a = allowed; *a && !ok; a++)
      ok = strcmp(*a, key) == 0;
    if (!ok) {
      *unknown = key;
      return false;
    }
  }
  return true;
}

static int parse_answers(struct scenario_step *st, json_t *arr, struct ma_error *err) {
  if (!json_is_array(arr) || json_array_size(arr) == 0)
    return bad(err, "answers", "step %s: %s must be a non-empty array", st->name, "answers");
  if (json_array_size(arr) > SCENARIO_MAX_ANSWERS) {
    ma_error_set(err, EINVAL, "invalid_scenario", "answers",
                 "step %s: %zu answers, more than the %d allowed", st->name, json_array_size(arr),
                 SCENARIO_MAX_ANSWERS);
    return -EINVAL;
  }
  st->answers = calloc(json_array_size(arr), sizeof *st->answers);
  if (!st->answers)
    return -ENOMEM;
  size_t i;
  json_t *a;
  json_array_foreach(arr, i, a) {
    static const char *const keys[] = {"match", "send", "progress", "note", NULL};
    const char *unknown = NULL;
    struct scenario_answer *ans = &st->answers[st->n_answers++];
    if (!json_is_object(a) || !only_keys(a, keys, &unknown))
      return bad(err, "answers",
                 "step %s: every answer is an object of match, send, progress, note (got %s)",
                 st->name, unknown ? unknown : "something else");
    int r = compile(&ans->match, json_object_get(a, "match"), "match", st->name, err);
    if (r == 0)
      r = opt_string(&ans->send, json_object_get(a, "send"), "send", st->name, err);
    if (r == 0)
      r = opt_string(&ans->progress, json_object_get(a, "progress"), "progress", st->name, err);
    if (r < 0)
      return r;
  }
  return 0;
}

static int parse_poll(struct scenario_step *st, json_t *j, struct ma_error *err) {
  st->kind = STEP_POLL;
  json_t *every = json_object_get(j, "every_s");
  if (!json_is_number(every) || json_number_value(every) < 0.1 || json_number_value(every) > 3600)
    return bad(err, "every_s", "step %s: %s must be a number of seconds from 0.1 to 3600", st->name,
               "every_s");
  st->every_s = json_number_value(every);
  if (!json_is_string(json_object_get(j, "send")))
    return bad(err, "send", "step %s: a poll step needs %s", st->name, "send");
  return compile(&st->expect, json_object_get(j, "capture"), "capture", st->name, err);
}

static int parse_kind(struct scenario_step *st, json_t *j, struct ma_error *err) {
  json_t *expect = json_object_get(j, "expect"), *until = json_object_get(j, "until");
  json_t *exit = json_object_get(j, "expect_exit"), *poll = json_object_get(j, "capture");
  if (!!expect + !!until + !!exit + !!poll != 1)
    return bad(err, "steps", "step %s: needs exactly one of %s", st->name,
               "expect, until, expect_exit or capture");
  if (poll) {
    int r = parse_poll(st, j, err);
    return r < 0 ? r : opt_string(&st->send, json_object_get(j, "send"), "send", st->name, err);
  }
  if (exit) {
    st->kind = STEP_EXIT;
    return json_is_true(exit)
               ? 0
               : bad(err, "expect_exit", "step %s: %s must be true", st->name, "expect_exit");
  }
  st->kind = expect ? STEP_EXPECT : STEP_DIALOGUE;
  int r = compile(&st->expect, expect ? expect : until, expect ? "expect" : "until", st->name, err);
  if (r == 0 && until)
    r = parse_answers(st, json_object_get(j, "answers"), err);
  if (r == 0 && expect && json_object_get(j, "answers"))
    r = bad(err, "answers", "step %s: %s belong to until steps", st->name, "answers");
  if (r == 0)
    r = opt_string(&st->send, json_object_get(j, "send"), "send", st->name, err);
  return r;
}

static int parse_step(struct scenario_step *st, json_t *j, struct ma_error *err) {
  static const char *const keys[] = {"name",    "expect",  "until",   "expect_exit", "send",
                                     "answers", "fail",    "prompt",  "timeout_s",   "stall_s",
                                     "note",    "capture", "every_s", NULL};
  const char *unknown = NULL;
  if (!json_is_object(j) || !json_is_string(json_object_get(j, "name")))
    return bad(err, "steps", "every step is an object with a string %s%s", "name", "");
  st->name = strdup(json_string_value(json_object_get(j, "name")));
  if (!only_keys(j, keys, &unknown))
    return bad(err, unknown, "step %s: unknown field %s", st->name, unknown);
  int r = parse_kind(st, j, err);
  if (r == 0 && json_object_get(j, "fail"))
    r = compile(&st->fail, json_object_get(j, "fail"), "fail", st->name, err);
  if (r == 0) {
    json_t *prompt = json_object_get(j, "prompt");
    json_t *dflt = json_string(DEFAULT_PROMPT);
    r = compile(&st->prompt, prompt ? prompt : dflt, "prompt", st->name, err);
    json_decref(dflt);
  }
  if (r == 0)
    r = seconds(&st->timeout_s, json_object_get(j, "timeout_s"), DEFAULT_TIMEOUT_S, "timeout_s",
                st->name, err);
  if (r == 0)
    r = seconds(&st->stall_s, json_object_get(j, "stall_s"), 0, "stall_s", st->name, err);
  if (r == 0 && st->timeout_s <= 0)
    r = bad(err, "timeout_s", "step %s: %s must be positive", st->name, "timeout_s");
  return r;
}

int scenario_parse(json_t *def, struct scenario **out, struct ma_error *err) {
  if (!json_is_object(def) || !json_is_string(json_object_get(def, "name")))
    return bad(err, "name", "a scenario is an object with a string %s%s", "name", "");
  json_t *steps = json_object_get(def, "steps");
  if (!json_is_array(steps) || json_array_size(steps) == 0)
    return bad(err, "steps", "scenario %s: %s must be a non-empty array",
               json_string_value(json_object_get(def, "name")), "steps");
  if (json_array_size(steps) > SCENARIO_MAX_STEPS) {
    ma_error_set(err, EINVAL, "invalid_scenario", "steps",
                 "scenario %s: %zu steps, more than the %d allowed",
                 json_string_value(json_object_get(def, "name")), json_array_size(steps),
                 SCENARIO_MAX_STEPS);
    return -EINVAL;
  }
  struct scenario *sc = calloc(1, sizeof *sc);
  if (!sc)
    return -ENOMEM;
  sc->name = strdup(json_string_value(json_object_get(def, "name")));
  sc->description = json_is_string(json_object_get(def, "description"))
                        ? strdup(json_string_value(json_object_get(def, "description")))
                        : NULL;
  sc->steps = calloc(json_array_size(steps), sizeof *sc->steps);
  int r = sc->name && sc->steps ? 0 : -ENOMEM;
  for (size_t i = 0; r == 0 && i < json_array_size(steps); i++) {
    r = parse_step(&sc->steps[i], json_array_get(steps, i), err);
    sc->n_steps = i + 1;
  }
  if (r < 0) {
    scenario_free(sc);
    return r;
  }
  *out = sc;
  return 0;
}

int scenario_builtin(const char *name, struct scenario **out, struct ma_error *err) {
  for (const struct embedded_file *f = embedded_scenarios; f->name; f++) {
    _cleanup_(util_freep) char *want = util_strdupf("%s.json", name);
    if (!want || strcmp(f->name, want) != 0)
      continue;
    json_t *def = json_loadb(f->text, f->len, 0, NULL);
    int r = scenario_parse(def, out, err);
    json_decref(def);
    return r;
  }
  ma_error_set(err, EINVAL, "unknown_scenario", "scenario", "no shipped scenario named \"%s\"",
               name);
  return -ENOENT;
}

json_t *scenario_builtin_names(void) {
  json_t *names = json_array();
  for (const struct embedded_file *f = embedded_scenarios; f->name; f++) {
    const char *dot = strrchr(f->name, '.');
    json_array_append_new(names,
                          json_stringn(f->name, dot ? (size_t)(dot - f->name) : strlen(f->name)));
  }
  return names;
}

const char *scenario_name(const struct scenario *sc) { return sc->name; }

static void pattern_clear(struct scenario_pattern *p) {
  free(p->source);
  pcre2_code_free(p->re);
}

void scenario_free(struct scenario *sc) {
  if (!sc)
    return;
  for (size_t i = 0; i < sc->n_steps; i++) {
    struct scenario_step *st = &sc->steps[i];
    free(st->name);
    free(st->send);
    pattern_clear(&st->expect);
    pattern_clear(&st->fail);
    pattern_clear(&st->prompt);
    for (size_t k = 0; k < st->n_answers; k++) {
      pattern_clear(&st->answers[k].match);
      free(st->answers[k].send);
      free(st->answers[k].progress);
    }
    free(st->answers);
  }
  free(sc->steps);
  free(sc->name);
  free(sc->description);
  free(sc);
}

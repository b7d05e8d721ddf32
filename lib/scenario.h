/* Expect-style console scenarios: a scenario file (schema/scenarios, JSON) is
 * a list of steps that wait for text from the guest, answer it and report
 * progress. A scenario_run is a pure state machine fed with console bytes and
 * clock ticks; the daemon wires it to a run's serial console. */
#pragma once
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/error.h"

/* A dialogue step tries each of its answers on every console read, so the answers of a step and
 * the steps of a scenario are capped; a definition beyond a cap is refused with the request. */
#define SCENARIO_MAX_STEPS 64
#define SCENARIO_MAX_ANSWERS 32

struct scenario;
struct scenario_run;

enum scenario_state { SCENARIO_RUNNING, SCENARIO_DONE, SCENARIO_FAILED };

struct scenario_callbacks {
  /* Text to write to the guest's console. */
  void (*send)(void *userdata, const char *text, size_t len);
  /* A step began, or a prompt marked as progress was answered ("extracting base"). */
  void (*progress)(void *userdata, const char *step, const char *text, int64_t t_us);
  /* A poll step captured text (its capture regex's first group) at t_us (may be NULL). */
  void (*captured)(void *userdata, const char *step, const char *text, int64_t t_us);
};

/* Parses and validates a scenario definition (not stolen); -EINVAL with err naming the bad field.
 */
int scenario_parse(json_t *def, struct scenario **out, struct ma_error *err);
/* A shipped scenario by name (schema/scenarios/NAME.json), or -ENOENT. */
int scenario_builtin(const char *name, struct scenario **out, struct ma_error *err);
/* The shipped scenario names, as a JSON array. */
json_t *scenario_builtin_names(void);
const char *scenario_name(const struct scenario *sc);
void scenario_free(struct scenario *sc);

/* Starts at the first step at time t_us; sc must outlive the run. */
struct scenario_run *scenario_run_new(const struct scenario *sc,
                                      const struct scenario_callbacks *cb, void *userdata,
                                      int64_t t_us);
void scenario_run_free(struct scenario_run *r);
/* Console bytes received at t_us. */
void scenario_feed(struct scenario_run *r, const char *buf, size_t len, int64_t t_us);
/* Checks step timeouts and stalls at a prompt nobody answers. */
void scenario_tick(struct scenario_run *r, int64_t t_us);
/* The guest is gone: completes an expect_exit step, fails any other. */
void scenario_guest_exited(struct scenario_run *r, int64_t t_us);
enum scenario_state scenario_state(const struct scenario_run *r);
/* How many matches gave up at the match limits (lib/regex_match.h) and so counted as no match. */
uint64_t scenario_gave_up(const struct scenario_run *r);
/* On failure: a stable code (scenario_timeout, unexpected_prompt, scenario_failed, guest_exited)
 * and a message naming the step; NULL otherwise. */
const char *scenario_error_code(const struct scenario_run *r);
const char *scenario_error_message(const struct scenario_run *r);
/* {"scenario","step","step_index","steps","state"} for status replies. */
json_t *scenario_status(const struct scenario_run *r);

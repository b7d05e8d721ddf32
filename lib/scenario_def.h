/* The parsed form of a scenario file, shared by its parser and its runner. */
#pragma once
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdbool.h>
#include <stddef.h>

#include "lib/scenario.h"

struct scenario_pattern {
  char *source;
  pcre2_code *re;
};

struct scenario_answer {
  struct scenario_pattern match;
  char *send;     /* NULL: only noted */
  char *progress; /* NULL: not reported; "$1" is replaced by the first group */
};

/* A poll step sends its text every every_s seconds and hands each capture's first group over, until
 * the guest stops (it never ends on its own; its timeout_s does not apply). */
enum scenario_step_kind { STEP_EXPECT, STEP_DIALOGUE, STEP_EXIT, STEP_POLL };

struct scenario_step {
  char *name;
  enum scenario_step_kind kind;
  struct scenario_pattern
      expect;                   /* expect: the text to wait for; dialogue: "until", the end of it */
  struct scenario_pattern fail; /* optional: ends the scenario as failed */
  struct scenario_pattern prompt; /* what a question looks like, for stall detection */
  char *send;                     /* expect: sent after the match */
  struct scenario_answer *answers;
  size_t n_answers;
  double timeout_s, stall_s; /* stall_s 0: no stall detection */
  double every_s;            /* poll */
};

struct scenario {
  char *name, *description;
  struct scenario_step *steps;
  size_t n_steps;
};

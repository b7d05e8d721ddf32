/* A job's state machine: every (state, event) pair, legal or not, and the walks the job system
 * makes. */
#include "lib/job_state.h"
#include "test_util.h"

#define NO (-1)

struct row {
  enum job_state from;
  enum job_event ev;
  int to;
};

/* Written out pair by pair (not copied from the table in lib/job_state.c): 6 states x 7 events. */
static const struct row rows[] = {
    {JOB_QUEUED, JOB_EV_START, JOB_STARTING},
    {JOB_QUEUED, JOB_EV_SPAWN, NO},
    {JOB_QUEUED, JOB_EV_FAIL, NO},
    {JOB_QUEUED, JOB_EV_DECIDE, NO},
    {JOB_QUEUED, JOB_EV_CANCEL, JOB_FINISHED},
    {JOB_QUEUED, JOB_EV_ABORT, NO},
    {JOB_QUEUED, JOB_EV_EXIT, NO},

    {JOB_STARTING, JOB_EV_START, NO},
    {JOB_STARTING, JOB_EV_SPAWN, JOB_RUNNING},
    {JOB_STARTING, JOB_EV_FAIL, JOB_FINISHED},
    {JOB_STARTING, JOB_EV_DECIDE, NO},
    {JOB_STARTING, JOB_EV_CANCEL, JOB_CANCELLING},
    {JOB_STARTING, JOB_EV_ABORT, NO},
    {JOB_STARTING, JOB_EV_EXIT, NO},

    {JOB_RUNNING, JOB_EV_START, NO},
    {JOB_RUNNING, JOB_EV_SPAWN, NO},
    {JOB_RUNNING, JOB_EV_FAIL, NO},
    {JOB_RUNNING, JOB_EV_DECIDE, JOB_STOPPING},
    {JOB_RUNNING, JOB_EV_CANCEL, JOB_CANCELLING},
    {JOB_RUNNING, JOB_EV_ABORT, NO},
    {JOB_RUNNING, JOB_EV_EXIT, JOB_FINISHED},

    {JOB_STOPPING, JOB_EV_START, NO},
    {JOB_STOPPING, JOB_EV_SPAWN, NO},
    {JOB_STOPPING, JOB_EV_FAIL, NO},
    {JOB_STOPPING, JOB_EV_DECIDE, JOB_STOPPING},
    {JOB_STOPPING, JOB_EV_CANCEL, JOB_CANCELLING},
    {JOB_STOPPING, JOB_EV_ABORT, NO},
    {JOB_STOPPING, JOB_EV_EXIT, JOB_FINISHED},

    {JOB_CANCELLING, JOB_EV_START, NO},
    {JOB_CANCELLING, JOB_EV_SPAWN, NO},
    {JOB_CANCELLING, JOB_EV_FAIL, NO},
    {JOB_CANCELLING, JOB_EV_DECIDE, JOB_CANCELLING},
    {JOB_CANCELLING, JOB_EV_CANCEL, JOB_CANCELLING},
    {JOB_CANCELLING, JOB_EV_ABORT, JOB_FINISHED},
    {JOB_CANCELLING, JOB_EV_EXIT, JOB_FINISHED},

    {JOB_FINISHED, JOB_EV_START, NO},
    {JOB_FINISHED, JOB_EV_SPAWN, NO},
    {JOB_FINISHED, JOB_EV_FAIL, NO},
    {JOB_FINISHED, JOB_EV_DECIDE, NO},
    {JOB_FINISHED, JOB_EV_CANCEL, NO},
    {JOB_FINISHED, JOB_EV_ABORT, NO},
    {JOB_FINISHED, JOB_EV_EXIT, NO},
};

static void every_pair(void **state) {
  (void)state;
  assert_int_equal(sizeof rows / sizeof rows[0], JOB_N_STATES * JOB_N_EVENTS);
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    int got = job_state_next(rows[i].from, rows[i].ev);
    if (got != rows[i].to)
      fail_msg("%s on %s: got %d, want %d", job_state_name(rows[i].from),
               job_event_name(rows[i].ev), got, rows[i].to);
  }
}

static void out_of_range_is_illegal(void **state) {
  (void)state;
  assert_int_equal(job_state_next(JOB_N_STATES, JOB_EV_START), NO);
  assert_int_equal(job_state_next(JOB_QUEUED, JOB_N_EVENTS), NO);
  assert_int_equal(job_state_next((enum job_state) - 1, JOB_EV_START), NO);
  assert_string_equal(job_state_name(JOB_N_STATES), "invalid");
  assert_string_equal(job_event_name(JOB_N_EVENTS), "invalid");
}

/* The paths a job takes, event by event, each ending FINISHED. */
static void walks(void **state) {
  (void)state;
  static const enum job_event paths[][5] = {
      {JOB_EV_START, JOB_EV_SPAWN, JOB_EV_DECIDE, JOB_EV_EXIT, JOB_N_EVENTS}, /* terminal marker */
      {JOB_EV_START, JOB_EV_SPAWN, JOB_EV_EXIT, JOB_N_EVENTS}, /* timeout, crash, exit */
      {JOB_EV_START, JOB_EV_SPAWN, JOB_EV_CANCEL, JOB_EV_EXIT,
       JOB_N_EVENTS},                                            /* DELETE while running */
      {JOB_EV_START, JOB_EV_CANCEL, JOB_EV_ABORT, JOB_N_EVENTS}, /* DELETE during the overlay */
      {JOB_EV_START, JOB_EV_FAIL, JOB_N_EVENTS},                 /* a file fails its check */
      {JOB_EV_CANCEL, JOB_N_EVENTS},                             /* DELETE while queued */
      {JOB_EV_START, JOB_EV_SPAWN, JOB_EV_DECIDE, JOB_EV_CANCEL,
       JOB_EV_EXIT}, /* shutdown while quitting */
  };
  for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
    int s = JOB_QUEUED;
    for (size_t k = 0; k < 5 && paths[i][k] != JOB_N_EVENTS; k++) {
      s = job_state_next((enum job_state)s, paths[i][k]);
      assert_true(s >= 0);
    }
    assert_int_equal(s, JOB_FINISHED);
  }
}

static void active_states(void **state) {
  (void)state;
  assert_false(job_state_active(JOB_QUEUED));
  assert_true(job_state_active(JOB_STARTING));
  assert_true(job_state_active(JOB_RUNNING));
  assert_true(job_state_active(JOB_STOPPING));
  assert_true(job_state_active(JOB_CANCELLING));
  assert_false(job_state_active(JOB_FINISHED));
  assert_string_equal(job_state_name(JOB_CANCELLING), "cancelling");
  assert_string_equal(job_event_name(JOB_EV_DECIDE), "decide");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(every_pair),
      cmocka_unit_test(out_of_range_is_illegal),
      cmocka_unit_test(walks),
      cmocka_unit_test(active_states),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

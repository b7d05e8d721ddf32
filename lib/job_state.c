#include "lib/job_state.h"

#include <stddef.h>

#define NO (-1)

/* One row per state, one column per event. A cancel in STOPPING or CANCELLING is legal: the
 * daemon's shutdown cancels a job the console already decided (QEMU is then killed, not waited
 * for), and a second DELETE kills again. DECIDE in CANCELLING is legal too: a terminal marker that
 * arrives before the kill lands still counts (the outcome decision lets the console's verdict win).
 */
static const signed char next[JOB_N_STATES][JOB_N_EVENTS] = {
    /* columns: START, SPAWN, FAIL, DECIDE, CANCEL, ABORT, EXIT */
    [JOB_QUEUED] = {JOB_STARTING, NO, NO, NO, JOB_FINISHED, NO, NO},
    [JOB_STARTING] = {NO, JOB_RUNNING, JOB_FINISHED, NO, JOB_CANCELLING, NO, NO},
    [JOB_RUNNING] = {NO, NO, NO, JOB_STOPPING, JOB_CANCELLING, NO, JOB_FINISHED},
    [JOB_STOPPING] = {NO, NO, NO, JOB_STOPPING, JOB_CANCELLING, NO, JOB_FINISHED},
    [JOB_CANCELLING] = {NO, NO, NO, JOB_CANCELLING, JOB_CANCELLING, JOB_FINISHED, JOB_FINISHED},
    [JOB_FINISHED] = {NO, NO, NO, NO, NO, NO, NO},
};

int job_state_next(enum job_state from, enum job_event ev) {
  if ((unsigned)from >= JOB_N_STATES || (unsigned)ev >= JOB_N_EVENTS)
    return NO;
  return next[from][ev];
}

const char *job_state_name(enum job_state s) {
  static const char *const names[JOB_N_STATES] = {"queued",   "starting",   "running",
                                                  "stopping", "cancelling", "finished"};
  return (unsigned)s < JOB_N_STATES ? names[s] : "invalid";
}

const char *job_event_name(enum job_event ev) {
  static const char *const names[JOB_N_EVENTS] = {"start",  "spawn", "fail", "decide",
                                                  "cancel", "abort", "exit"};
  return (unsigned)ev < JOB_N_EVENTS ? names[ev] : "invalid";
}

bool job_state_active(enum job_state s) {
  return s != JOB_QUEUED && s != JOB_FINISHED && s < JOB_N_STATES;
}

/* A boot job's life as one explicit state, and the transitions between states that are legal.
 *
 *     QUEUED --start--> STARTING --spawn--> RUNNING --decide--> STOPPING --exit--> FINISHED
 *       |                 |  |                 |                   |
 *       |                 |  +--fail--> FINISHED                   +--cancel--> CANCELLING
 *       |                 +--cancel--> CANCELLING --abort--> FINISHED (a start step came back)
 *       +--cancel--> FINISHED                 RUNNING --cancel--> CANCELLING --exit--> FINISHED
 *                                             RUNNING --exit--> FINISHED (QEMU ended: exit,
 * timeout, silence...)
 *
 * A timeout is not a state of its own: the supervisor's deadline kills QEMU, and that end (exit)
 * says why; lib/run_outcome.h turns it into the run's status. The state says only where the job is;
 * what the console decided and why QEMU ended are the outcome decision's inputs. Pure: no I/O, no
 * loop. */
#pragma once
#include <stdbool.h>

enum job_state {
  JOB_QUEUED,     /* waiting for its turn */
  JOB_STARTING,   /* its files are checked, its overlay made, its FIFO opened; no QEMU yet */
  JOB_RUNNING,    /* QEMU is spawned and supervised */
  JOB_STOPPING,   /* the console decided the outcome; QEMU was asked to quit */
  JOB_CANCELLING, /* cancelled: QEMU was killed, or a start step in flight ends the job when it
                     returns */
  JOB_FINISHED,   /* recorded, told, about to be freed */
  JOB_N_STATES
};

enum job_event {
  JOB_EV_START,  /* the queue picked it */
  JOB_EV_SPAWN,  /* QEMU's supervisor started */
  JOB_EV_FAIL,   /* a start step failed (files, overlay, FIFO, spawn): it ends without QEMU */
  JOB_EV_DECIDE, /* the console, a scenario or the log decided the outcome: QEMU is asked to quit */
  JOB_EV_CANCEL, /* cancelled on request or by the daemon stopping */
  JOB_EV_ABORT,  /* a start step came back after a cancel: it ends without QEMU */
  JOB_EV_EXIT,   /* the supervisor ended (QEMU exited, was killed, timed out, went silent, ...) */
  JOB_N_EVENTS
};

/* The state after ev in from, or -1 when ev is illegal there (a bug in the caller). */
int job_state_next(enum job_state from, enum job_event ev);
/* "queued", "starting", ...: for logs. */
const char *job_state_name(enum job_state s);
/* "start", "spawn", ...: for logs. */
const char *job_event_name(enum job_event ev);
/* True while the job holds a place among the running ones (started, not finished). */
bool job_state_active(enum job_state s);

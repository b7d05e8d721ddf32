/* One QMP session with QEMU, as pure logic: lines in, actions out. No loop, no I/O.
 *
 * The caller (core/supervisor.c) owns the socket and the framer (lib/qmp.h). It feeds every
 * line QEMU sends to qmp_session_feed and performs the actions that come back, in order:
 * writes a command line, reacts to a start-up step, delivers an event, uses a reply, logs an
 * error. The session generates the command ids and keeps the table of pending ones, so a
 * reply is matched to its command whatever order replies come in.
 *
 * The start-up sequence, QEMU started paused with -S (t0 is the acknowledged `cont`):
 *
 *   QEMU                                       session                      caller
 *   {"QMP": {...}}                     ->  WRITE qmp_capabilities    STEP CAPABILITIES
 *   {"return": {}, "id": "caps-1"}     ->  STEP CONNECT                connects the console (and
 * gdbstub), then qmp_session_console_connected
 *                                      <-  WRITE query-chardev       STEP CONSOLE
 *   {"return": [{"label": "ser0", "filename": "unix:..."}], ...}
 *                                      ->  WRITE cont                STEP CONT
 *   {"return": {}, "id": "cont-3"}     ->  STEP RUNNING (t0)
 *
 * A refusal before t0 ends the start-up: STEP FAILED with its text. After t0, commands come from
 * qmp_session_command and their replies (REPLY) or refusals (ERROR) go to the caller. */
#pragma once
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum qmp_step {
  QMP_STEP_GREETING,     /* waiting for QEMU's greeting */
  QMP_STEP_CAPABILITIES, /* qmp_capabilities sent */
  QMP_STEP_CONNECT,      /* capabilities acknowledged: the caller connects the console */
  QMP_STEP_CONSOLE,      /* query-chardev until QEMU has accepted the console */
  QMP_STEP_CONT,         /* cont sent */
  QMP_STEP_RUNNING,      /* cont acknowledged: t0 */
  QMP_STEP_FAILED,       /* the start-up failed; the STEP action's text says why */
};

/* The commands the session sends, each with its typed completion. */
enum qmp_cmd {
  QMP_CMD_CAPABILITIES, /* start-up */
  QMP_CMD_CHARDEV,      /* start-up: query-chardev */
  QMP_CMD_CONT,         /* start-up: its acknowledgement is t0 */
  QMP_CMD_CPUS,         /* query-cpus-fast: see qmp_session_vcpu_tids */
  QMP_CMD_MEMORY,       /* query-memory-size-summary: see qmp_session_ram_mb */
  QMP_CMD_INFO_MEM,     /* HMP "info mem": a string reply (the caller may stream it, lib/qmp.h) */
  QMP_CMD_QUIT,
};

enum qmp_action_kind {
  QMP_ACT_WRITE, /* text: a command line to write to the socket; cmd: which */
  QMP_ACT_STEP,  /* step: the start-up sequence reached it; text: why, for QMP_STEP_FAILED */
  QMP_ACT_EVENT, /* text: the event's name; wall_us: QEMU's stamp (0 if none) */
  QMP_ACT_REPLY, /* cmd answered after t0 (or quit at any time); ret: its "return" value */
  QMP_ACT_ERROR, /* cmd refused after t0 (or quit at any time); text: "QMP refused quit: ..." */
};

struct qmp_action {
  enum qmp_action_kind kind;
  enum qmp_step step;
  enum qmp_cmd cmd;
  char *text;  /* owned */
  json_t *ret; /* owned reference */
  int64_t wall_us;
};

/* What one call produced, in order; released by qmp_actions_clear. */
struct qmp_actions {
  struct qmp_action *v;
  size_t n, cap;
};

#define QMP_SESSION_MAX_PENDING 16
/* query-chardev round trips before the start-up gives up on the console (about 5 s of QEMU's loop).
 */
#define QMP_SESSION_CONSOLE_CHECKS 5000

struct qmp_pending {
  char id[24]; /* "" when the slot is free */
  enum qmp_cmd cmd;
};

struct qmp_session {
  enum qmp_step step;
  bool quitting;      /* quit sent: the start-up goes no further */
  int console_checks; /* query-chardev round trips so far */
  unsigned next_id;
  struct qmp_pending pending[QMP_SESSION_MAX_PENDING];
};

/* Prepares a session waiting for the greeting. */
void qmp_session_init(struct qmp_session *s);
/* Feeds one line QEMU sent. 0, or (with no action added and the session unchanged) -EINVAL for a
 * line that is no QMP message, -EPROTO for one out of place (a reply before the greeting or to no
 * pending command, a second greeting), -ENOMEM. */
int qmp_session_feed(struct qmp_session *s, const char *line, size_t len, struct qmp_actions *out);
/* The caller connected the console (and gdbstub) at QMP_STEP_CONNECT: the console check starts.
 * -EINVAL at any other step or after quit. */
int qmp_session_console_connected(struct qmp_session *s, struct qmp_actions *out);
/* Sends cmd (CPUS, MEMORY, INFO_MEM once running; QUIT once capabilities are acknowledged):
 * 0, -EAGAIN when the step does not allow it yet, -EINVAL for a start-up command, -ENOBUFS,
 * -ENOMEM. */
int qmp_session_command(struct qmp_session *s, enum qmp_cmd cmd, struct qmp_actions *out);
/* Forgets pending commands (the socket is gone); accepts NULL. */
void qmp_session_clear(struct qmp_session *s);

/* Releases the actions' texts and values and empties the list (keeps nothing allocated); accepts
 * NULL. */
void qmp_actions_clear(struct qmp_actions *a);

/* The command's QMP name ("cont", "query-chardev", ...). */
const char *qmp_cmd_name(enum qmp_cmd cmd);
/* The step's name, for logs. */
const char *qmp_step_name(enum qmp_step step);
/* Whether query-chardev's reply says QEMU accepted the connection of the console labelled ser0. */
bool qmp_session_console_accepted(const json_t *chardevs);
/* Copies the vCPU thread ids of a query-cpus-fast reply into tids; returns how many (at most max).
 */
size_t qmp_session_vcpu_tids(const json_t *cpus, int *tids, size_t max);
/* The guest's base RAM in MiB from a query-memory-size-summary reply, or -1. */
int64_t qmp_session_ram_mb(const json_t *summary);

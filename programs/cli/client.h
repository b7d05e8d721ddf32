/* One interface for every CLI command: the same calls reach the core in this process (--state-dir)
 * or a daemon (--server: REST, and SSE for live events), so each command is written once. Locally
 * each call is the core's operation (core/ops.h); remotely the REST route that maps onto that same
 * operation. */
#pragma once
#include <jansson.h>
#include <stdbool.h>

#include "core/context.h"
#include "lib/error.h"
#include "programs/cli/cli.h"

enum client_op {
  CLIENT_BOOT,           /* args: the boot request; out: {"id"} */
  CLIENT_MEMORY,         /* args: a boot request with duration_s; out: {"id"} */
  CLIENT_RUN_GET,        /* args: {"id"}; out: the run */
  CLIENT_RUNS_LIST,      /* args: {"limit","cursor","status","profile","label"}; out: {"runs",
                            "next_cursor"} */
  CLIENT_SERIAL_DELETE,  /* args: {"id"}; out: {"id","serial_deleted","freed_bytes"} */
  CLIENT_MATRIX_START,   /* args: the matrix request; out: {"id","total"} */
  CLIENT_MATRIX_GET,     /* args: {"id"}; out: the report */
  CLIENT_MATRICES_LIST,  /* args: {"limit"}; out: {"matrices"} */
  CLIENT_MATRIX_COMPARE, /* args: {"id","other"}; out: the comparison */
  CLIENT_MATRIX_RENDER,  /* args: {"id","format"} (text, csv, svg, latex); out: {"text"} */
  CLIENT_TRACE_START,    /* args: the trace request; out: {"id"} */
  CLIENT_TRACE_GET,      /* args: {"id"}; out: the trace document */
  CLIENT_INSTALL_START,  /* args: the install request; out: {"id"} */
  CLIENT_INSTALL_GET,    /* args: {"id"}; out: the install document with its progress */
  CLIENT_IMAGE_REGISTER, /* args: {"iso","sha256"}; out: the image's verification record */
  CLIENT_IMAGES_LIST,    /* args: {}; out: {"images"} */
  CLIENT_IMAGE_DELETE,   /* args: {"id"}; out: what was removed */
};

enum client_need {
  CLIENT_READ, /* read the store */
  CLIENT_LOCK, /* change the state dir as its owner (no boots) */
  CLIENT_RUN,  /* run boots: probe the host, run jobs */
};

struct client {
  const struct cli *cli;
  bool remote;
  bool opened;
  struct ma_context ctx; /* in-process only */
};

/* Opens what the command needs: the state dir in-process (max_running and max_queued bound its job
 * system; 0: 1 each), nothing for a daemon. accel "tcg" skips the KVM probe. On failure prints why.
 */
int client_open(struct client *c, const struct cli *cli, enum client_need need, const char *accel,
                int max_running, int max_queued);
/* Lets the loop finish what it closed, then closes the state dir and the loop. */
void client_close(struct client *c);
/* Calls op; *out gets its answer. Returns 0, or a negative errno with err saying why (remotely, the
 * daemon's error body, or the transport failure). Prints nothing. */
int client_call(struct client *c, enum client_op op, json_t *args, json_t **out,
                struct ma_error *err);
/* Prints err as the user asked (--json or text) and returns the exit status it deserves. */
int client_fail(const struct client *c, const struct ma_error *err);

/* A live event of a run: "status", "marker" or "serial", with its data. */
typedef void (*client_event_cb)(void *userdata, const char *event, json_t *data);
/* Follows run_id's events until it has ended (the core's subscription in-process, the run's SSE
 * stream from a daemon), then returns 0; events already past are replayed first. */
int client_follow_run(struct client *c, const char *run_id, client_event_cb cb, void *userdata,
                      struct ma_error *err);
/* A matrix's progress: done of total runs; status "running" until the matrix is over. */
typedef void (*client_matrix_cb)(void *userdata, int done, int total, const char *status);
/* Follows a matrix until it is over: the core's matrix watch in-process; from a daemon, its report
 * every half second (REST has no event stream for matrices yet). */
int client_follow_matrix(struct client *c, const char *id, client_matrix_cb cb, void *userdata,
                         struct ma_error *err);
/* Waits a little for something to happen: in-process, one turn of the loop (false when nothing is
 * left to happen); from a daemon, half a second (true). For what has no event to follow. */
bool client_idle(struct client *c);
/* In-process: runs the loop until nothing is left active for done(userdata) to wait on (remote:
 * no-op). */
void client_wait(struct client *c, bool (*done)(void *userdata), void *userdata);

/* Private to client*.c: the two implementations. */
int client_local_call(struct client *c, enum client_op op, json_t *args, json_t **out,
                      struct ma_error *err);
int client_local_follow(struct client *c, const char *run_id, client_event_cb cb, void *userdata,
                        struct ma_error *err);
int client_local_follow_matrix(struct client *c, const char *id, client_matrix_cb cb,
                               void *userdata);
int client_remote_call(struct client *c, enum client_op op, json_t *args, json_t **out,
                       struct ma_error *err);
int client_remote_follow(struct client *c, const char *run_id, client_event_cb cb, void *userdata,
                         struct ma_error *err);
int client_remote_follow_matrix(struct client *c, const char *id, client_matrix_cb cb,
                                void *userdata, struct ma_error *err);

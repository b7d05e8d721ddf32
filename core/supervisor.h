/* Supervises one QEMU process: spawn paused, QMP handshake, `cont` = t0, the
 * serial console stamped per read, deadlines, and a clean end. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "lib/procstat.h"

enum supervisor_reason {
  SUP_EXITED,       /* QEMU exited on its own after t0 */
  SUP_SPAWN_FAILED, /* the process could not be started */
  SUP_START_FAILED, /* QEMU died or QMP failed before t0 */
  SUP_TIMEOUT,      /* the run's deadline passed; QEMU was killed */
  SUP_SILENT,       /* the console was silent too long; QEMU was killed */
  SUP_STALLED, /* the console was silent for stall_ms while the stall watch was on; QEMU was killed
                */
  SUP_STOPPED, /* supervisor_quit/kill was asked for */
  SUP_PROTOCOL_ERROR, /* QMP broke the protocol (an oversized message, ...); QEMU was killed */
};

struct supervisor_end {
  enum supervisor_reason reason;
  bool started;         /* t0 happened */
  int exit_code;        /* -1 when killed by a signal or never ran */
  int term_signal;      /* 0 when it exited */
  bool killed;          /* the supervisor sent QEMU a SIGKILL: a signal in the status is ours */
  const char *detail;   /* human-readable cause */
  const char *qemu_err; /* what QEMU wrote to stderr (tail) */
};

struct supervisor_callbacks {
  /* QMP acknowledged `cont`: t0 (CLOCK_MONOTONIC us); qemu_start_us = spawn to QMP greeting. */
  void (*started)(void *userdata, int64_t t0_us, int64_t qemu_start_us);
  /* Console bytes, stamped when the read returned. */
  void (*serial)(void *userdata, const char *buf, size_t len, int64_t stamp_us);
  /* A QMP event (SHUTDOWN, RESET, STOP, ...). */
  void (*event)(void *userdata, const char *name);
  /* A sample of QEMU's memory and CPU use, taken every sample_ms after t0 (may be NULL). */
  void (*sample)(void *userdata, int64_t stamp_us, const struct procstat_sample *sample);
  /* The guest reached breakpoint cfg->bp_addrs[index] (once each), stamped when the stop reply
   * arrived. */
  void (*symbol)(void *userdata, size_t index, int64_t stamp_us);
  /* Everything is closed; the supervisor is freed right after this returns. */
  void (*ended)(void *userdata, const struct supervisor_end *end);
};

struct supervisor_config {
  char *const *argv;    /* QEMU argv; argv[0] looked up in PATH */
  const char *qmp_path; /* sockets named in argv */
  const char *serial_path;
  /* serial_path is a FIFO QEMU writes the console to (-chardev file), made here, not a socket: a
   * write to it never fails the way a full socket refuses one, so the guest never waits on the
   * host (the virtual clock needs that). Output only: supervisor_send answers -EPIPE. */
  bool serial_fifo;
  unsigned timeout_ms; /* from t0; 0 = none */
  unsigned silence_ms; /* max console silence after t0; 0 = none */
  unsigned
      stall_ms; /* the stall watch: console silence after t0 that ends as SUP_STALLED; 0 = none */
  unsigned sample_ms;       /* memory sampling period after t0; 0 = none */
  const char *gdb_path;     /* QEMU's gdbstub socket, when breakpoints are wanted; else NULL */
  const uint64_t *bp_addrs; /* set before `cont` */
  size_t n_bps;
  int bp_bits;   /* 32 or 64 */
  bool info_mem; /* with sampling under TCG: ask HMP "info mem" at most once a second */
};

struct supervisor;
/* Spawns QEMU; callbacks arrive on loop. Returns 0 (ended is always called) or -errno. */
int supervisor_start(uv_loop_t *loop, const struct supervisor_config *cfg,
                     const struct supervisor_callbacks *cb, void *userdata,
                     struct supervisor **out);
/* Writes text to the guest's serial console (scenarios answering prompts); -EPIPE once it is
 * closed. */
int supervisor_send(struct supervisor *s, const char *text, size_t len);
/* Ends the stall watch (the boot reached its terminal marker: later silence is the guest's
 * business). */
void supervisor_stall_watch_stop(struct supervisor *s);
/* Asks QEMU to quit through QMP, killing it if it has not gone within a second. */
void supervisor_quit(struct supervisor *s);
/* Kills QEMU's process group at once. */
void supervisor_kill(struct supervisor *s);
/* Entry for the re-executed helper that arms PR_SET_PDEATHSIG and execs QEMU;
 * returns -1 when argv is not a helper invocation. Call first thing in main. */
int supervisor_exec_helper(int argc, char **argv);

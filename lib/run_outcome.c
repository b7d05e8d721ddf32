#include "lib/run_outcome.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

void run_verdict_clear(struct run_verdict *v) {
  if (!v)
    return;
  free(v->code);
  free(v->message);
  *v = (struct run_verdict){0};
}

/* message is stolen. */
static bool decide(struct run_verdict *v, const char *status, const char *code, char *message) {
  if (v->status) {
    free(message);
    return false;
  }
  v->status = status;
  v->code = code ? strdup(code) : NULL;
  v->message = message;
  return true;
}

bool run_verdict_succeeded(struct run_verdict *v) { return decide(v, "succeeded", NULL, NULL); }

bool run_verdict_failure_pattern(struct run_verdict *v, const char *name, int64_t t_us,
                                 const char *text) {
  if (v->status)
    return false;
  return decide(
      v, "failed", "guest_failure",
      util_strdupf("failure pattern %s matched at %.3f ms: %s", name, (double)t_us / 1000.0, text));
}

bool run_verdict_scenario(struct run_verdict *v, bool done, const char *code, const char *message) {
  if (done)
    return decide(v, "succeeded", NULL, NULL);
  return decide(v, "failed", code, message ? strdup(message) : NULL);
}

bool run_verdict_log_lost(struct run_verdict *v, int errnum) {
  if (v->status)
    return false;
  bool full = errnum == ENOSPC || errnum == EDQUOT;
  return decide(v, "failed", full ? "disk_full" : "log_write_failed",
                util_strdupf("cannot write the console log: %s", strerror(errnum)));
}

void run_outcome_clear(struct run_outcome *o) {
  if (!o)
    return;
  free(o->code);
  free(o->message);
  o->code = o->message = NULL;
}

/* message is stolen; NULL code: no error. */
static int set(struct run_outcome *o, const char *status, const char *code, char *message) {
  o->status = status;
  o->code = code ? strdup(code) : NULL;
  o->message = message;
  return (code && !o->code) ? -ENOMEM : 0;
}

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

static int decide_crash(const struct run_facts *f, struct run_outcome *o) {
  const char *err = f->qemu_err ? f->qemu_err : "";
  char *msg = f->term_signal
                  ? util_strdupf("QEMU was killed by signal %d (%s) before the terminal marker",
                                 f->term_signal, strsignal(f->term_signal))
                  : util_strdupf("QEMU exited with status %d before the terminal marker%s%s",
                                 f->exit_code, err[0] ? ": " : "", err);
  return set(o, "failed", f->term_signal ? "qemu_crashed" : "qemu_exited", msg);
}

static int decide_end(const struct run_facts *f, struct run_outcome *o) {
  const char *err = f->qemu_err ? f->qemu_err : "";
  switch (f->reason) {
  case RUN_END_TIMEOUT: return set(o, "timeout", "boot_timeout", dup_or_null(f->detail));
  case RUN_END_SILENT: return set(o, "timeout", "guest_silent", dup_or_null(f->detail));
  case RUN_END_PROTOCOL_ERROR: /* the daemon's kill, not a crash of QEMU */
    return set(o, "failed", "qmp_protocol_error", dup_or_null(f->detail));
  case RUN_END_STALLED:
    return set(o, "failed", "accel_stalled",
               util_strdupf("the guest printed nothing on its console for %d s under KVM "
                            "(accel_stall_s) before its "
                            "terminal marker; KVM may be hanging it (a nested KVM can): boot it "
                            "with \"accel\": \"tcg\"",
                            f->accel_stall_s));
  case RUN_END_SPAWN_FAILED:
  case RUN_END_START_FAILED:
    if (f->term_signal && !f->killed)
      break; /* killed from outside before t0: a crash like any other */
    return set(o, "failed", "qemu_start_failed",
               util_strdupf("%s%s%s", f->detail ? f->detail : "", err[0] ? ": " : "", err));
  case RUN_END_EXITED:
  case RUN_END_STOPPED: break;
  }
  return decide_crash(f, o);
}

int run_outcome_decide(const struct run_facts *f, struct run_outcome *o) {
  *o = (struct run_outcome){0};
  const struct run_verdict *v = f->verdict;
  if (v && v->status) {
    o->status = v->status;
    if (!v->code) /* a success, or a failure whose code could not be copied: no error */
      return 0;
    return set(o, v->status, v->code, dup_or_null(v->message));
  }
  if (f->cancelled)
    return f->daemon_stopping
               ? set(o, "cancelled", "daemon_stopping",
                     strdup("the daemon stopped; QEMU was killed"))
               : set(o, "cancelled", "cancelled", strdup("cancelled on request; QEMU was killed"));
  if (f->monitoring && f->reason == RUN_END_TIMEOUT)
    return set(o, "succeeded", NULL, NULL); /* monitored for the whole duration */
  return decide_end(f, o);
}

int run_outcome_not_started(bool daemon_stopping, struct run_outcome *o) {
  *o = (struct run_outcome){0};
  return daemon_stopping
             ? set(o, "cancelled", "daemon_stopping",
                   strdup("the daemon stopped before this run's guest started"))
             : set(o, "cancelled", "cancelled", strdup("cancelled before the guest started"));
}

int run_outcome_check_failed(const char *code, const char *when, const char *message,
                             struct run_outcome *o) {
  *o = (struct run_outcome){0};
  char *msg = util_strdupf("%s: %s", when, message);
  return set(o, "failed", code, msg ? msg : dup_or_null(message));
}

int run_outcome_overlay_failed(const char *disk, const char *detail, struct run_outcome *o) {
  *o = (struct run_outcome){0};
  return set(o, "failed", "overlay_failed",
             util_strdupf("qemu-img could not create an overlay of %s: %s", disk,
                          detail && detail[0] ? detail : "no reason given"));
}

int run_outcome_launch_failed(int errnum, struct run_outcome *o) {
  *o = (struct run_outcome){0};
  return set(o, "failed", "qemu_start_failed",
             util_strdupf("cannot start the boot: %s", strerror(errnum)));
}

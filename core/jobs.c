#include "core/jobs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/disk_chain.h"
#include "core/disk_guard.h"
#include "core/int_reader.h"
#include "core/supervisor.h"
#include "core/tool.h"
#include "lib/detector.h"
#include "lib/disk.h"
#include "lib/guest_memory.h"
#include "lib/qemu_cmd.h"
#include "lib/regex_match.h"

#define SCENARIO_TICK_MS 200

struct jobs_sub {
  struct job *job; /* NULL once the run ended */
  struct jobs_sub *next;
  jobs_event_cb cb;
  void *userdata;
};

struct job {
  struct jobs *jobs;
  struct job *next;
  struct run run;
  struct boot_spec *spec;
  const struct profile *profile;
  struct detector *det;
  struct supervisor *sup;
  FILE *log;
  int64_t t0_us, last_stamp_us;
  bool running, cancel_requested, exclusive;
  const char *outcome; /* decided by the console: succeeded or failed */
  char *outcome_code, *outcome_message;
  struct jobs_sub *subs;
  char *qmp_path, *serial_path, *gdb_path;
  char *overlay_path; /* NULL when the run has no overlay */
  struct scenario_run *scn;
  uv_timer_t *scn_timer;
  struct int_reader *ints;
  bool log_cut, gave_up_noted;
};

struct jobs {
  uv_loop_t *loop;
  struct store *store;
  const struct profile_set *profiles;
  const struct host_info *host;
  char *state_dir;
  int max_running, max_queued, n_running, n_queued;
  int n_reserved; /* runs that matrices and installs were admitted with and have not queued yet */
  int64_t max_log_bytes;
  path_policy image_dirs;
  struct disk_guard *disk;
  bool exclusive_running;
  struct job *active; /* queued and running, in submission order */
  bool stopping, pumping;
  jobs_idle_cb idle_cb;
  void *idle_userdata;
};

static void pump(struct jobs *j);

static void emit(struct job *job, enum jobs_event_kind kind, json_t *data) {
  /* Serialized once here, not once per subscriber: 200 event streams on a
   * flooding guest made 200 copies of every console line's JSON. */
  _cleanup_(util_freep) char *json = job->subs ? json_dumps(data, RUN_JSON_FLAGS) : NULL;
  struct jobs_event ev = {kind, job->run.id, data, json};
  for (struct jobs_sub *s = job->subs, *next; s; s = next) {
    next = s->next;
    s->cb(s->userdata, &ev);
  }
  json_decref(data);
}

static void emit_status(struct job *job, enum jobs_event_kind kind) {
  emit(job, kind, json_pack("{s:s, s:s}", "id", job->run.id, "status", job->run.status));
}

static void save(struct job *job) {
  int r = store_run_update(job->jobs->store, &job->run);
  if (r < 0)
    fprintf(stderr, "run %s: cannot update the store: %s\n", job->run.id, strerror(-r));
}

static void set_error(struct job *job, const char *code, const char *message) {
  run_set_str(&job->run.error_code, code);
  run_set_str(&job->run.error_message, message);
}

static void unlink_job(struct jobs *j, struct job *job) {
  for (struct job **p = &j->active; *p; p = &(*p)->next) {
    if (*p == job) {
      *p = job->next;
      return;
    }
  }
}

static void free_handle(uv_handle_t *h) { free(h); }

static void free_job(struct job *job) {
  for (struct jobs_sub *s = job->subs; s; s = s->next)
    s->job = NULL;
  if (job->scn_timer) {
    job->scn_timer->data = NULL;
    uv_close((uv_handle_t *)job->scn_timer, free_handle);
  }
  scenario_run_free(job->scn);
  if (job->ints)
    int_reader_close(job->ints);
  if (job->overlay_path && job->spec && !job->spec->keep_overlay)
    unlink(job->overlay_path);
  free(job->overlay_path);
  detector_free(job->det);
  bootspec_free(job->spec);
  run_clear(&job->run);
  if (job->log)
    fclose(job->log);
  free(job->outcome_code);
  free(job->outcome_message);
  free(job->qmp_path);
  free(job->serial_path);
  free(job->gdb_path);
  free(job);
}

static void finish_job(struct job *job, const char *status) {
  struct jobs *j = job->jobs;
  run_set_str(&job->run.status, status);
  job->run.finished_us = util_wall_us();
  save(job);
  emit_status(job, JOBS_EV_END);
  unlink_job(j, job);
  if (job->running)
    j->n_running--;
  else
    j->n_queued--;
  if (job->running && job->exclusive)
    j->exclusive_running = false;
  free_job(job);
  pump(j);
}

/* One marker, whatever saw it (console, breakpoint, scenario): kept in the run, stored, told to followers. */
static bool record_marker(struct job *job, const char *name, int64_t t_us, const char *source, const char *text) {
  struct run *r = &job->run;
  if (run_add_marker(r, name, t_us, source, text) < 0)
    return false;
  int err = store_marker_insert(job->jobs->store, r->id, r->n_markers - 1, &r->markers[r->n_markers - 1]);
  if (err < 0)
    fprintf(stderr, "run %s: cannot store %s marker %s: %s\n", r->id, source, name, strerror(-err));
  emit(job, JOBS_EV_MARKER,
       json_pack("{s:s, s:f, s:s, s:o}", "name", name, "t_ms", (double)t_us / 1000.0, "source", source, "text",
                 run_json_text(text, strlen(text))));
  return true;
}

static void on_marker(struct job *job, const struct detector_event *ev) {
  struct run *r = &job->run;
  if (!record_marker(job, ev->name, ev->t_us, "serial", ev->text))
    return;
  if (!ev->terminal)
    return;
  r->boot_time_us = ev->t_us;
  run_set_str(&r->terminal_marker, ev->name);
  if (job->sup)
    supervisor_stall_watch_stop(job->sup);
  save(job);
  if (job->spec->duration_s || job->scn)
    return; /* monitoring, or a scenario to play: the guest keeps running */
  job->outcome = "succeeded";
  supervisor_quit(job->sup);
}

static void on_detector(void *userdata, const struct detector_event *ev) {
  struct job *job = userdata;
  if (ev->kind == DETECTOR_LINE) {
    emit(job, JOBS_EV_SERIAL,
         json_pack("{s:f, s:o}", "t_ms", (double)ev->t_us / 1000.0, "line", run_json_text(ev->text, strlen(ev->text))));
  } else if (ev->kind == DETECTOR_MARKER) {
    on_marker(job, ev);
  } else if (!job->outcome) {
    job->outcome = "failed";
    job->outcome_code = strdup("guest_failure");
    job->outcome_message = util_strdupf("failure pattern %s matched at %.3f ms: %s", ev->name,
                                        (double)ev->t_us / 1000.0, ev->text);
    supervisor_quit(job->sup);
  }
}

/* The scenario decides the run's outcome: done is success, a failure ends the guest. */
static void check_scenario(struct job *job) {
  enum scenario_state st = scenario_state(job->scn);
  if (st == SCENARIO_RUNNING || job->outcome)
    return;
  job->outcome = st == SCENARIO_DONE ? "succeeded" : "failed";
  if (st == SCENARIO_FAILED) {
    job->outcome_code = strdup(scenario_error_code(job->scn));
    job->outcome_message = strdup(scenario_error_message(job->scn));
  }
  if (job->sup)
    supervisor_quit(job->sup);
}

static void scn_send(void *userdata, const char *text, size_t len) {
  struct job *job = userdata;
  int r = job->sup ? supervisor_send(job->sup, text, len) : -EPIPE;
  if (r < 0)
    fprintf(stderr, "run %s: cannot write to the console: %s\n", job->run.id, strerror(-r));
}

static void scn_progress(void *userdata, const char *step, const char *text, int64_t t_us) {
  record_marker(userdata, step, t_us, "scenario", text);
}

static void scn_captured(void *userdata, const char *step, const char *text, int64_t t_us) {
  struct job *job = userdata;
  (void)step;
  json_t *values = guest_memory_parse(text);
  int r = values ? store_guest_memory_insert(job->jobs->store, job->run.id, t_us, values) : 0;
  if (r < 0)
    fprintf(stderr, "run %s: cannot store a guest memory sample: %s\n", job->run.id, strerror(-r));
  json_decref(values);
}

static void on_scenario_tick(uv_timer_t *t) {
  struct job *job = t->data;
  if (!job || !job->scn)
    return;
  scenario_tick(job->scn, util_mono_us() - job->t0_us);
  check_scenario(job);
}

static void start_scenario(struct job *job) {
  static const struct scenario_callbacks cbs = {scn_send, scn_progress, scn_captured};
  job->scn = scenario_run_new(job->spec->scenario, &cbs, job, 0);
  job->scn_timer = malloc(sizeof *job->scn_timer);
  if (!job->scn || !job->scn_timer) {
    free(job->scn_timer);
    job->scn_timer = NULL;
    return;
  }
  uv_timer_init(job->jobs->loop, job->scn_timer);
  job->scn_timer->data = job;
  uv_timer_start(job->scn_timer, on_scenario_tick, SCENARIO_TICK_MS, SCENARIO_TICK_MS);
}

static void sup_started(void *userdata, int64_t t0_us, int64_t qemu_start_us) {
  struct job *job = userdata;
  job->t0_us = job->last_stamp_us = t0_us;
  job->run.qemu_start_us = qemu_start_us;
  save(job);
  if (job->ints)
    int_reader_set_t0(job->ints, t0_us);
  if (job->spec->scenario)
    start_scenario(job);
}

/* Up to the cap, then one line saying so: a flooding guest cannot fill the disk, and the run goes on. */
static void log_console(struct job *job, const char *buf, size_t len) {
  struct run *r = &job->run;
  int64_t cap = job->jobs->max_log_bytes, logged = r->serial_logged == RUN_NULL ? 0 : r->serial_logged;
  size_t take = cap && logged + (int64_t)len > cap ? (size_t)(cap > logged ? cap - logged : 0) : len;
  bool cut_now = take < len && !job->log_cut;
  job->log_cut |= cut_now;
  _cleanup_(util_freep) char *note =
      cut_now ? util_strdupf("\n[minix-analysis: console log cut at %lld bytes (--max-log-mb); the run goes on]\n",
                             (long long)cap)
              : NULL;
  /* Flushed per read: the log on disk is complete up to the last read even if we crash. */
  bool ok = fwrite(buf, 1, take, job->log) == take && (!note || fputs(note, job->log) >= 0) && fflush(job->log) == 0;
  r->serial_logged = logged + (int64_t)take;
  if (cut_now)
    save(job);
  if (ok || job->outcome)
    return;
  int e = errno;
  _cleanup_(util_freep) char *msg = util_strdupf("cannot write the console log: %s", strerror(e));
  bool full = e == ENOSPC || e == EDQUOT;
  if (full && job->jobs->disk) /* room for the store to record how this and other runs end */
    disk_guard_ran_out(job->jobs->disk);
  fclose(job->log);
  job->log = NULL;
  job->outcome = "failed";
  job->outcome_code = strdup(full ? "disk_full" : "log_write_failed");
  job->outcome_message = strdup(msg);
  supervisor_quit(job->sup);
}

/* A match that the limits stopped counts as no match: said once per run, not once per line. */
static void note_gave_up(struct job *job) {
  uint64_t n = detector_gave_up(job->det) + (job->scn ? scenario_gave_up(job->scn) : 0);
  if (job->gave_up_noted || n == 0)
    return;
  job->gave_up_noted = true;
  fprintf(stderr,
          "run %s: a marker or scenario pattern gave up on the console text after %d steps (the match limit); "
          "such text counts as no match (said once per run)\n",
          job->run.id, REGEX_MATCH_LIMIT);
}

static void sup_serial(void *userdata, const char *buf, size_t len, int64_t stamp_us) {
  struct job *job = userdata;
  job->last_stamp_us = stamp_us;
  job->run.serial_bytes += (int64_t)len;
  if (job->log)
    log_console(job, buf, len);
  detector_feed(job->det, buf, len, stamp_us - job->t0_us);
  if (job->scn) {
    scenario_feed(job->scn, buf, len, stamp_us - job->t0_us);
    check_scenario(job);
  }
  note_gave_up(job);
}

static void sup_event(void *userdata, const char *name) {
  struct job *job = userdata;
  emit(job, JOBS_EV_STATUS, json_pack("{s:s, s:s, s:s}", "id", job->run.id, "status", job->run.status, "qmp_event", name));
}

static void sup_symbol(void *userdata, size_t index, int64_t stamp_us) {
  struct job *job = userdata;
  const struct boot_spec *s = job->spec;
  if (index >= s->n_breakpoints)
    return;
  _cleanup_(util_freep) char *text =
      util_strdupf("breakpoint at %s (0x%llx)", s->bp_functions[index], (unsigned long long)s->bp_addrs[index]);
  if (text)
    record_marker(job, s->bp_markers[index], stamp_us - job->t0_us, "symbol", text);
}

static void sup_sample(void *userdata, int64_t stamp_us, const struct procstat_sample *sample) {
  struct job *job = userdata;
  int r = store_memory_insert(job->jobs->store, job->run.id, stamp_us - job->t0_us, sample);
  if (r < 0)
    fprintf(stderr, "run %s: cannot store a memory sample: %s\n", job->run.id, strerror(-r));
}

static const char *end_status(struct job *job, const struct supervisor_end *end) {
  if (job->outcome) {
    if (job->outcome_code)
      set_error(job, job->outcome_code, job->outcome_message);
    return job->outcome;
  }
  if (job->cancel_requested) {
    set_error(job, job->jobs->stopping ? "daemon_stopping" : "cancelled",
              job->jobs->stopping ? "the daemon stopped; QEMU was killed" : "cancelled on request; QEMU was killed");
    return "cancelled";
  }
  _cleanup_(util_freep) char *msg = NULL;
  if (job->spec->duration_s && end->reason == SUP_TIMEOUT)
    return "succeeded"; /* monitored for the whole duration */
  switch (end->reason) {
  case SUP_TIMEOUT:
    set_error(job, "boot_timeout", end->detail);
    return "timeout";
  case SUP_SILENT:
    set_error(job, "guest_silent", end->detail);
    return "timeout";
  case SUP_PROTOCOL_ERROR:
    set_error(job, "qmp_protocol_error", end->detail); /* the daemon's kill, not a crash of QEMU */
    return "failed";
  case SUP_STALLED:
    msg = util_strdupf("the guest printed nothing on its console for %d s under KVM (accel_stall_s) before its "
                       "terminal marker; KVM may be hanging it (a nested KVM can): boot it with \"accel\": \"tcg\"",
                       job->spec->accel_stall_s);
    set_error(job, "accel_stalled", msg);
    return "failed";
  case SUP_SPAWN_FAILED:
  case SUP_START_FAILED:
    if (end->term_signal && !end->killed)
      break; /* killed from outside before t0: a crash like any other */
    msg = util_strdupf("%s%s%s", end->detail, end->qemu_err[0] ? ": " : "", end->qemu_err);
    set_error(job, "qemu_start_failed", msg);
    return "failed";
  default:
    break;
  }
  if (end->term_signal)
    msg = util_strdupf("QEMU was killed by signal %d (%s) before the terminal marker", end->term_signal,
                       strsignal(end->term_signal));
  else
    msg = util_strdupf("QEMU exited with status %d before the terminal marker%s%s", end->exit_code,
                       end->qemu_err[0] ? ": " : "", end->qemu_err);
  set_error(job, end->term_signal ? "qemu_crashed" : "qemu_exited", msg);
  return "failed";
}

static void sup_ended(void *userdata, const struct supervisor_end *end) {
  struct job *job = userdata;
  struct run *r = &job->run;
  job->sup = NULL; /* freed once this returns */
  detector_flush(job->det, job->last_stamp_us - job->t0_us);
  if (job->scn && !job->cancel_requested) {
    scenario_guest_exited(job->scn, job->last_stamp_us - job->t0_us);
    check_scenario(job);
  }
  note_gave_up(job);
  if (end->reason != SUP_SPAWN_FAILED) {
    r->exit_code = end->term_signal ? RUN_NULL : end->exit_code;
    r->exit_signal = end->term_signal ? end->term_signal : RUN_NULL;
  }
  int cpus = detector_cpus_online(job->det);
  r->guest_cpus_online = cpus >= 0 ? cpus : RUN_NULL;
  if (job->ints) {
    int e = store_traps_put(job->jobs->store, r->id, int_reader_counter(job->ints));
    if (e < 0)
      fprintf(stderr, "run %s: cannot store its trap counts: %s\n", r->id, strerror(-e));
  }
  json_decref(r->missing);
  r->missing = detector_missing(job->det);
  unlink(job->qmp_path);
  unlink(job->serial_path);
  if (job->spec->symbols)
    unlink(job->gdb_path);
  const char *status = end_status(job, end);
  if (strcmp(status, "succeeded") != 0)
    r->boot_time_us = RUN_NULL; /* a boot time only belongs to a run that succeeded */
  finish_job(job, status);
}

static const char *choose_accel(struct job *job) {
  const struct boot_spec *s = job->spec;
  _cleanup_(util_freep) char *note = NULL;
  const char *accel = accel_choose(&job->jobs->host->kvm, s->arch, s->accel, s->trap_counts, &note);
  run_set_str(&job->run.accel_note, note);
  return accel;
}

static int start_supervisor(struct job *job, const char *accel) {
  struct qemu_sockets socks = {job->qmp_path, job->serial_path, job->spec->symbols ? job->gdb_path : NULL};
  struct qemu_cmd cmd;
  int r = qemu_cmd_build(&cmd, job->spec, accel, &socks);
  if (r < 0)
    return r;
  const struct boot_spec *s = job->spec;
  struct supervisor_config cfg = {
      .argv = cmd.argv,
      .qmp_path = job->qmp_path,
      .serial_path = job->serial_path,
      .timeout_ms = (unsigned)(s->duration_s ? s->duration_s : s->timeout_s) * 1000u,
      .silence_ms = (unsigned)s->silence_timeout_s * 1000u,
      /* A KVM that hangs a guest leaves QEMU "running" and the console silent: say so, not boot_timeout. */
      .stall_ms = strcmp(accel, "kvm") == 0 ? (unsigned)s->accel_stall_s * 1000u : 0,
      .sample_ms = (unsigned)s->memory_sample_ms,
      .gdb_path = s->symbols ? job->gdb_path : NULL,
      .bp_addrs = s->bp_addrs,
      .n_bps = s->n_breakpoints,
      .bp_bits = s->bp_bits,
      /* "info mem" walks x86 page tables; under KVM the answer would cost a vCPU exit each time. */
      .info_mem = s->memory_sample_ms && strcmp(accel, "tcg") == 0 &&
                  (strcmp(s->arch, "i386") == 0 || strcmp(s->arch, "x86_64") == 0),
  };
  struct supervisor_callbacks cb = {sup_started, sup_serial, sup_event, sup_sample, sup_symbol, sup_ended};
  r = supervisor_start(job->jobs->loop, &cfg, &cb, job, &job->sup);
  qemu_cmd_clear(&cmd);
  return r;
}

static void launch(struct job *job) {
  int r = job->log ? 0 : -EIO;
  if (r == 0 && job->spec->trap_counts) {
    /* The FIFO is open for reading before QEMU starts, so QEMU's open of its log does not block. */
    char *path = util_strdupf("%s/sock/%s.int", job->jobs->state_dir, job->run.id);
    r = path ? int_reader_start(job->jobs->loop, path, &job->ints) : -ENOMEM;
    if (r == 0)
      job->spec->int_log = path;
    else
      free(path);
  }
  if (r == 0)
    r = start_supervisor(job, job->run.accel);
  if (r < 0) {
    _cleanup_(util_freep) char *msg = util_strdupf("cannot start the boot: %s", strerror(-r));
    set_error(job, "qemu_start_failed", msg);
    finish_job(job, "failed");
  }
}

static void end_before_start(struct job *job) {
  bool stopping = job->jobs->stopping;
  set_error(job, stopping ? "daemon_stopping" : "cancelled",
            stopping ? "the daemon stopped before this run's guest started" : "cancelled before the guest started");
  finish_job(job, "cancelled");
}

static void on_overlay_ready(void *userdata, int status, const char *err) {
  struct job *job = userdata;
  if (job->cancel_requested) {
    end_before_start(job);
    return;
  }
  if (status != 0) {
    _cleanup_(util_freep) char *msg =
        util_strdupf("qemu-img could not create an overlay of %s: %s", job->spec->disk, err[0] ? err : "no reason given");
    set_error(job, "overlay_failed", msg);
    finish_job(job, "failed");
    return;
  }
  job->spec->overlay = strdup(job->overlay_path);
  launch(job);
}

/* Disk runs boot a fresh qcow2 overlay: the image the user gave is never written. */
static void make_overlay(struct job *job) {
  const char *format = disk_format(job->spec->disk);
  const char *qemu_img = job->jobs->host->qemu.path[QEMU_IMG];
  char **argv = format && qemu_img ? disk_overlay_argv(qemu_img, job->spec->disk, format, job->overlay_path) : NULL;
  int r = argv ? tool_run(job->jobs->loop, argv, on_overlay_ready, job) : -ENOMEM;
  disk_argv_free(argv);
  if (r < 0)
    on_overlay_ready(job, r,
                     !format     ? "cannot read the disk image"
                     : !qemu_img ? "qemu-img is not installed in the QEMU directory (--qemu-dir)"
                                 : strerror(-r));
}

static void prepare_disk(struct job *job) {
  if (job->overlay_path && job->log)
    make_overlay(job);
  else
    launch(job);
}

static void fail_check(struct job *job, const struct ma_error *err, const char *when) {
  _cleanup_(util_freep) char *msg = util_strdupf("%s: %s", when, err->message);
  set_error(job, err->code, msg ? msg : err->message);
  finish_job(job, "failed");
}

static void on_chain_checked(void *userdata, int r, const struct ma_error *err) {
  struct job *job = userdata;
  if (job->cancel_requested)
    end_before_start(job);
  else if (r < 0)
    fail_check(job, err, "the disk's backing chain, read when the run started");
  else
    prepare_disk(job);
}

/* The files were judged when the request came, but a queued run starts later: a file swapped for a
 * symlink out of the image dirs (or a FIFO) since then must not be opened. They are judged again here,
 * just before QEMU starts, which leaves as the window the backing-chain read (qemu-img, one call per
 * file of the chain), the overlay's creation and QEMU's own start-up, instead of the whole wait in the
 * queue. Handing QEMU descriptors (-add-fd) would close that window for drives only:
 * -kernel and -initrd take names. A qcow2 disk's backing chain is read here too (qemu-img, off the
 * loop), once, for boots, matrices and installs alike; the run's own overlay is the daemon's and is not
 * judged, the user's disk below it is. */
static void check_files(struct job *job) {
  struct ma_error err;
  const struct boot_spec *s = job->spec;
  if (bootspec_check_files(s, job->jobs->image_dirs, &err) < 0) {
    fail_check(job, &err, "checked again when the run started");
    return;
  }
  const char *format = s->disk && job->jobs->image_dirs ? disk_format(s->disk) : NULL;
  if (!format || strcmp(format, "qcow2") != 0) { /* raw: nothing below it */
    prepare_disk(job);
    return;
  }
  const char *qemu_img = job->jobs->host->qemu.path[QEMU_IMG];
  if (!qemu_img) {
    ma_error_set(&err, EINVAL, "qemu_not_found", "disk", "qemu-img is not installed in the QEMU directory (--qemu-dir)");
    fail_check(job, &err, "cannot read the disk's backing chain");
  } else if (disk_chain_check(job->jobs->loop, qemu_img, s->disk, format, job->jobs->image_dirs, on_chain_checked,
                              job) < 0) {
    ma_error_set(&err, EIO, "internal_error", "disk", "out of memory");
    fail_check(job, &err, "cannot read the disk's backing chain");
  }
}

static void start_job(struct job *job) {
  struct jobs *j = job->jobs;
  j->n_queued--;
  j->n_running++;
  job->running = true;
  j->exclusive_running = job->exclusive;
  run_set_str(&job->run.accel, choose_accel(job));
  run_set_str(&job->run.status, "running");
  job->run.started_us = util_wall_us();
  if (!job->run.accel || !job->run.status) { /* nothing started yet: end it as a launch that failed */
    set_error(job, "qemu_start_failed", "cannot start the boot: out of memory");
    finish_job(job, "failed");
    return;
  }
  job->log = util_fopen_private(job->run.serial_path, "wb"); /* it may show what was typed into the guest */
  save(job);
  emit_status(job, JOBS_EV_STATUS);
  check_files(job);
}

static struct job *first_queued(struct jobs *j) {
  for (struct job *job = j->active; job; job = job->next)
    if (!job->running)
      return job;
  return NULL;
}

/* Strict FIFO: an exclusive job waits for the machine to empty, and holds it. */
static bool can_start(const struct jobs *j, const struct job *job) {
  return j->n_running < j->max_running && !j->exclusive_running && !(job->exclusive && j->n_running > 0);
}

static void pump(struct jobs *j) {
  /* Starting a job can end it at once (its files fail their check at launch), which pumps again,
   * and a matrix then submits its next run, which pumps again: inside a pump, another only
   * asks this loop to look once more, so 1,600 runs that fail at start do not nest 1,600 deep. */
  if (j->pumping)
    return;
  j->pumping = true;
  /* Search afresh each time: starting a job can finish it (and others) at once. */
  struct job *job;
  while (!j->stopping && (job = first_queued(j)) && can_start(j, job))
    start_job(job);
  j->pumping = false;
  if (j->stopping && !j->active && j->idle_cb) {
    jobs_idle_cb cb = j->idle_cb;
    j->idle_cb = NULL;
    cb(j->idle_userdata);
  }
}

struct jobs *jobs_new(uv_loop_t *loop, struct store *store, const struct profile_set *profiles,
                      const struct host_info *host, const struct jobs_config *cfg) {
  struct jobs *j = calloc(1, sizeof *j);
  if (!j)
    return NULL;
  *j = (struct jobs){.loop = loop, .store = store, .profiles = profiles, .host = host,
                     .state_dir = strdup(cfg->state_dir), .max_running = cfg->max_running,
                     .max_queued = cfg->max_queued, .max_log_bytes = cfg->max_log_bytes, .disk = cfg->disk,
                     .image_dirs = cfg->image_dirs};
  _cleanup_(util_freep) char *runs = util_strdupf("%s/runs", cfg->state_dir);
  _cleanup_(util_freep) char *socks = util_strdupf("%s/sock", cfg->state_dir);
  _cleanup_(util_freep) char *overlays = util_strdupf("%s/overlays", cfg->state_dir);
  if (!j->state_dir || util_mkdir_p(runs, 0750) < 0 || util_mkdir_p(socks, 0700) < 0 ||
      util_mkdir_p(overlays, 0750) < 0) {
    jobs_free(j);
    return NULL;
  }
  return j;
}

void jobs_free(struct jobs *j) {
  if (!j)
    return;
  free(j->state_dir);
  free(j);
}

static struct job *new_job(struct jobs *j, struct boot_spec *spec) {
  struct job *job = calloc(1, sizeof *job);
  if (!job)
    return NULL;
  job->jobs = j;
  job->spec = spec;
  job->profile = profile_set_find(j->profiles, spec->profile);
  struct run *r = &job->run;
  run_init(r);
  if (util_new_id(r->id) < 0) {
    free(job);
    return NULL;
  }
  r->status = strdup("queued");
  r->arch = strdup(spec->arch);
  r->cpus = spec->cpus;
  r->memory_mb = spec->memory_mb;
  r->accel_requested = strdup(spec->accel);
  r->profile = strdup(spec->profile);
  run_set_str(&r->label, spec->label);
  if (spec->disk && !spec->disk_direct) {
    job->overlay_path = util_strdupf("%s/overlays/%s.qcow2", j->state_dir, r->id);
    if (spec->keep_overlay) /* the run says where its kept overlay is */
      json_object_set_new(spec->json, "overlay", json_string(job->overlay_path));
  }
  r->spec_json = json_dumps(spec->json, JSON_COMPACT | JSON_SORT_KEYS);
  r->created_us = util_wall_us();
  r->serial_path = util_strdupf("%s/runs/%s.serial", j->state_dir, r->id);
  job->qmp_path = util_strdupf("%s/sock/%s.qmp", j->state_dir, r->id);
  job->serial_path = util_strdupf("%s/sock/%s.ser", j->state_dir, r->id);
  job->gdb_path = util_strdupf("%s/sock/%s.gdb", j->state_dir, r->id);
  bool spec_ok = !spec->disk || spec->disk_direct || job->overlay_path;
  if (!r->status || !r->arch || !r->accel_requested || !r->profile || (spec->label && !r->label) || !spec_ok ||
      !r->spec_json || !r->serial_path || !job->qmp_path || !job->serial_path || !job->gdb_path) {
    job->spec = NULL; /* the caller still owns spec and frees it */
    free_job(job);
    return NULL;
  }
  return job;
}

int jobs_submit(struct jobs *j, struct boot_spec *spec, char id[UTIL_ID_LEN + 1]) {
  return jobs_submit_opts(j, spec, NULL, id);
}

int jobs_admit(struct jobs *j) {
  if (j->stopping)
    return -ESHUTDOWN;
  return j->disk ? disk_guard_admit(j->disk) : 0;
}

void jobs_refusal(int r, struct ma_error *err) {
  if (r == -EAGAIN)
    ma_error_set(err, EAGAIN, "queue_full", NULL, "too many runs are waiting (--max-queued); retry later");
  else if (r == -E2BIG)
    ma_error_set(err, EINVAL, "too_many_runs", NULL, "this asks for more runs than --max-queued lets wait at once");
  else if (r == -ESHUTDOWN)
    ma_error_set(err, EAGAIN, "shutting_down", NULL, "the daemon is stopping");
  else if (r == -ENOSPC)
    ma_error_set(err, ENOSPC, "disk_full", NULL,
                 "the state dir's filesystem is (nearly) full (--min-free-mb); free space, then retry");
  else if (r == -EDQUOT)
    ma_error_set(err, ENOSPC, "state_dir_over_quota", NULL,
                 "the state dir uses more than --max-state-mb; delete old runs' logs or images, then retry");
  else
    ma_error_set(err, EIO, "internal_error", NULL, "cannot queue the boot: %s", strerror(-r));
}

int jobs_reserve(struct jobs *j, int n, const char *field, struct ma_error *err) {
  int r = jobs_admit(j);
  if (r == 0 && n > j->max_queued)
    r = -E2BIG;
  else if (r == 0 && j->n_queued + j->n_reserved + n > j->max_queued)
    r = -EAGAIN;
  if (r == 0)
    j->n_reserved += n;
  else if (r == -E2BIG) /* waiting would never help: the request itself must change */
    ma_error_set(err, EINVAL, "too_many_runs", field, "this asks for %d runs at once, more than --max-queued (%d) lets wait",
                 n, j->max_queued);
  else
    jobs_refusal(r, err);
  return r;
}

void jobs_release(struct jobs *j, int n) { j->n_reserved -= n; }

int jobs_submit_opts(struct jobs *j, struct boot_spec *spec, const struct jobs_submit_opts *opts,
                     char id[UTIL_ID_LEN + 1]) {
  bool reserved = opts && opts->reserved;
  int r = jobs_admit(j);
  /* Reserved slots count as waiting runs: a boot does not take the place of a matrix's later runs. */
  if (r == 0 && !reserved && j->n_queued + j->n_reserved >= j->max_queued)
    r = -EAGAIN;
  if (r < 0) {
    bootspec_free(spec);
    return r;
  }
  struct job *job = new_job(j, spec);
  if (!job) {
    bootspec_free(spec);
    return -ENOMEM;
  }
  if (opts) {
    job->exclusive = opts->exclusive;
    run_set_str(&job->run.matrix_id, opts->matrix_id);
    job->run.matrix_index = opts->matrix_id ? opts->matrix_index : RUN_NULL;
  }
  char *err = NULL;
  job->det = detector_new(job->profile, spec->until, on_detector, job, &err);
  free(err); /* the regex was validated with the request */
  r = job->det ? store_run_insert(j->store, &job->run) : -EINVAL;
  if (r < 0) {
    free_job(job);
    return r;
  }
  memcpy(id, job->run.id, UTIL_ID_LEN + 1);
  if (reserved) /* the slot it was admitted with is now this run's place in the queue */
    j->n_reserved--;
  struct job **tail = &j->active;
  while (*tail)
    tail = &(*tail)->next;
  *tail = job;
  j->n_queued++;
  if (opts && opts->cb)
    *opts->sub = jobs_subscribe(j, job->run.id, opts->cb, opts->userdata);
  pump(j);
  return 0;
}

static struct job *find(struct jobs *j, const char *id) {
  for (struct job *job = j->active; job; job = job->next)
    if (strcmp(job->run.id, id) == 0)
      return job;
  return NULL;
}

static void cancel_job(struct job *job) {
  job->cancel_requested = true;
  if (job->running) {
    if (job->sup) /* else its overlay is being made: that ends the job */
      supervisor_kill(job->sup);
    return;
  }
  end_before_start(job);
}

int jobs_cancel(struct jobs *j, const char *id) {
  struct job *job = find(j, id);
  if (!job)
    return -ENOENT;
  cancel_job(job);
  return 0;
}

struct jobs_sub *jobs_subscribe(struct jobs *j, const char *id, jobs_event_cb cb, void *userdata) {
  struct job *job = find(j, id);
  struct jobs_sub *sub = job ? calloc(1, sizeof *sub) : NULL;
  if (!sub)
    return NULL;
  /* Appended: the first to subscribe hears first. A trace or an install subscribes when it submits, so its
   * document is final before a later follower (an MCP call waiting on the run) hears of the end. */
  *sub = (struct jobs_sub){.job = job, .next = NULL, .cb = cb, .userdata = userdata};
  struct jobs_sub **tail = &job->subs;
  while (*tail)
    tail = &(*tail)->next;
  *tail = sub;
  return sub;
}

void jobs_unsubscribe(struct jobs_sub *sub) {
  if (!sub)
    return;
  if (sub->job) {
    for (struct jobs_sub **p = &sub->job->subs; *p; p = &(*p)->next) {
      if (*p == sub) {
        *p = sub->next;
        break;
      }
    }
  }
  free(sub);
}

bool jobs_use(const struct jobs *j, const char *real_target) {
  for (const struct job *job = j ? j->active : NULL; job; job = job->next)
    if (bootspec_json_uses(job->spec->json, job->spec->cdrom, real_target))
      return true;
  return false;
}

void jobs_counts(const struct jobs *j, int *queued, int *running) {
  *queued = j->n_queued;
  *running = j->n_running;
}

void jobs_shutdown(struct jobs *j, jobs_idle_cb done, void *userdata) {
  j->stopping = true;
  j->idle_cb = done;
  j->idle_userdata = userdata;
  for (struct job *job = j->active, *next; job; job = next) {
    next = job->next;
    if (!job->cancel_requested)
      cancel_job(job);
  }
  pump(j);
}

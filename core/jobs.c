/* The job system: the queue, and one job per boot carried from its launch plan (lib/launch_plan.h)
 * through QEMU's supervisor to its outcome (lib/run_outcome.h), its life an explicit state
 * (lib/job_state.h). What is written down (store, followers, console log) goes through the run
 * recorder (core/run_record.h). */
#include "core/jobs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/disk_chain.h"
#include "core/disk_guard.h"
#include "core/int_reader.h"
#include "core/supervisor.h"
#include "core/tool.h"
#include "lib/detector.h"
#include "lib/host_facts.h"
#include "lib/disk.h"
#include "lib/job_state.h"
#include "lib/launch_plan.h"
#include "lib/regex_match.h"
#include "lib/run_outcome.h"
#include "lib/vclock.h"

#define SCENARIO_TICK_MS 200

struct job {
  struct jobs *jobs;
  struct job *next;
  enum job_state state;
  struct run_record rec;
  struct boot_spec *spec;
  const struct profile *profile;
  struct detector *det;
  struct supervisor *sup; /* the running QEMU's; NULL before the spawn and from its end on */
  struct launch_paths paths;
  struct launch_plan plan; /* made when the job starts */
  struct run_verdict verdict;
  int64_t t0_us, last_stamp_us;
  bool exclusive, gave_up_noted;
  struct scenario_run *scn;
  uv_timer_t *scn_timer;
  struct int_reader *ints;
  int vclock_log_fd; /* virtual clock: our read end of QEMU's console copy (see open_vclock_log) */
  /* Virtual clock: the markers whose instruction counts are read when QEMU has ended, each by its
   * console offset (serial) or its breakpoint (symbol). */
  struct counted_marker {
    size_t ord;
    int64_t offset;
    int bp; /* -1: a console marker */
  } * counted;
  size_t n_counted;
};

struct jobs {
  uv_loop_t *loop;
  struct store *store;
  const struct profile_set *profiles;
  const struct host_info *host;
  char *host_facts; /* lib/host_facts.h as JSON text, recorded with every run */
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

/* Moves the job along its state machine; an illegal move is a bug here, said and ignored. */
static bool step(struct job *job, enum job_event ev) {
  int to = job_state_next(job->state, ev);
  if (to < 0) {
    fprintf(stderr, "run %s: no transition on %s from %s (a bug); ignored\n", job->rec.run.id,
            job_event_name(ev), job_state_name(job->state));
    return false;
  }
  job->state = (enum job_state)to;
  return true;
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
  if (job->scn_timer) {
    job->scn_timer->data = NULL;
    uv_close((uv_handle_t *)job->scn_timer, free_handle);
  }
  scenario_run_free(job->scn);
  if (job->ints)
    int_reader_close(job->ints);
  if (job->paths.overlay && job->spec && !job->spec->keep_overlay)
    unlink(job->paths.overlay);
  if (job->vclock_log_fd >= 0)
    close(job->vclock_log_fd);
  if (job->paths.vclock)
    vclock_remove(job->paths.vclock);
  free(job->counted);
  detector_free(job->det);
  bootspec_free(job->spec);
  run_record_clear(&job->rec);
  run_verdict_clear(&job->verdict);
  launch_plan_clear(&job->plan);
  launch_paths_clear(&job->paths);
  free(job);
}

/* Ends the job on ev with outcome o (its strings are freed): recorded, told, unqueued, freed. */
static void finish_job(struct job *job, enum job_event ev, struct run_outcome *o) {
  struct jobs *j = job->jobs;
  bool held =
      job_state_active(job->state); /* a place among the running ones, else among the queued */
  step(job, ev);
  if (o->code)
    run_record_error(&job->rec, o->code, o->message);
  if (strcmp(o->status, "succeeded") != 0)
    job->rec.run.boot_time_us = RUN_NULL; /* a boot time only belongs to a run that succeeded */
  run_record_finish(&job->rec, o->status);
  run_outcome_clear(o);
  unlink_job(j, job);
  if (held)
    j->n_running--;
  else
    j->n_queued--;
  if (held && job->exclusive)
    j->exclusive_running = false;
  free_job(job);
  pump(j);
}

/* Cancelled while queued (ev CANCEL) or while a start step ran (ev ABORT): no QEMU ever ran. */
static void end_before_start(struct job *job, enum job_event ev) {
  struct run_outcome o;
  run_outcome_not_started(job->jobs->stopping, &o);
  finish_job(job, ev, &o);
}

/* A start step came back: true (and the job is gone) when a cancel came meanwhile. */
static bool aborted(struct job *job) {
  if (job->state != JOB_CANCELLING)
    return false;
  end_before_start(job, JOB_EV_ABORT);
  return true;
}

/* The console, a scenario or the log reached a verdict: QEMU is asked to quit. Its last console
 * bytes are read after it ended (sup is then NULL), and a verdict reached there needs no quit. */
static void decided(struct job *job) {
  step(job, JOB_EV_DECIDE);
  if (job->sup)
    supervisor_quit(job->sup);
}

/* The virtual clock counts the marker just recorded once QEMU has ended: the plugin notes a byte's
 * count only at the guest's next OUT, idle moment or exit. */
static void count_later(struct job *job, int64_t offset, int bp) {
  if (!job->paths.vclock)
    return;
  struct counted_marker *c = realloc(job->counted, (job->n_counted + 1) * sizeof *c);
  if (!c)
    return; /* that marker's count is then not observed */
  job->counted = c;
  c[job->n_counted++] = (struct counted_marker){job->rec.run.n_markers - 1, offset, bp};
}

static void count_markers(struct job *job) {
  struct run *r = &job->rec.run;
  const struct boot_spec *s = job->spec;
  _cleanup_(util_freep) int64_t *hits = calloc(s->n_breakpoints + 1, sizeof *hits);
  if (!hits)
    return;
  int e = vclock_hits(job->paths.vclock, s->bp_addrs, s->n_breakpoints, hits, NULL);
  if (e < 0)
    fprintf(stderr, "run %s: the virtual clock plugin left no counts (%s)\n", r->id, strerror(-e));
  /* A console write QEMU's chardev refused reaches the plugin twice (failed, then retried): its
   * bytes then no longer line up with the console read here, and no console count is given. */
  int64_t counted = vclock_counted_bytes(job->paths.vclock);
  bool aligned = counted <= r->serial_bytes;
  if (!aligned)
    fprintf(stderr,
            "run %s: the virtual clock counted %lld console bytes where %lld were read (a write "
            "QEMU retried): console markers are not counted\n",
            r->id, (long long)counted, (long long)r->serial_bytes);
  for (size_t i = 0; i < job->n_counted; i++) {
    const struct counted_marker *c = &job->counted[i];
    int64_t n = c->bp >= 0 ? hits[c->bp]
                : aligned  ? vclock_byte_count(job->paths.vclock, c->offset - 1)
                           : -1;
    if (n < 0 || c->ord >= r->n_markers)
      continue; /* not observed: stays null */
    r->markers[c->ord].instructions = n;
    e = store_marker_set_instructions(job->jobs->store, r->id, c->ord, n);
    if (e < 0)
      fprintf(stderr, "run %s: cannot store a marker's instruction count: %s\n", r->id,
              strerror(-e));
  }
}

static void on_marker(struct job *job, const struct detector_event *ev) {
  struct run *r = &job->rec.run;
  if (!run_record_marker(&job->rec, ev->name, ev->t_us, "serial", ev->text))
    return;
  count_later(job, ev->offset, -1);
  if (!ev->terminal)
    return;
  r->boot_time_us = ev->t_us;
  run_set_str(&r->terminal_marker, ev->name);
  if (job->sup)
    supervisor_stall_watch_stop(job->sup);
  run_record_save(&job->rec);
  if (job->spec->duration_s || job->scn)
    return; /* monitoring, or a scenario to play: the guest keeps running */
  if (run_verdict_succeeded(&job->verdict))
    decided(job);
}

static void on_detector(void *userdata, const struct detector_event *ev) {
  struct job *job = userdata;
  if (ev->kind == DETECTOR_LINE)
    run_record_tell_line(&job->rec, ev->t_us, ev->text);
  else if (ev->kind == DETECTOR_MARKER)
    on_marker(job, ev);
  else if (run_verdict_failure_pattern(&job->verdict, ev->name, ev->t_us, ev->text))
    decided(job);
}

/* The scenario decides the run's outcome: done is success, a failure ends the guest. */
static void check_scenario(struct job *job) {
  enum scenario_state st = scenario_state(job->scn);
  if (st == SCENARIO_RUNNING || job->verdict.status)
    return;
  bool done = st == SCENARIO_DONE;
  if (run_verdict_scenario(&job->verdict, done, done ? NULL : scenario_error_code(job->scn),
                           done ? NULL : scenario_error_message(job->scn)))
    decided(job);
}

static void scn_send(void *userdata, const char *text, size_t len) {
  struct job *job = userdata;
  int r = job->sup ? supervisor_send(job->sup, text, len) : -EPIPE;
  if (r < 0)
    fprintf(stderr, "run %s: cannot write to the console: %s\n", job->rec.run.id, strerror(-r));
}

static void scn_progress(void *userdata, const char *step_name, const char *text, int64_t t_us) {
  struct job *job = userdata;
  run_record_marker(&job->rec, step_name, t_us, "scenario", text);
}

static void scn_captured(void *userdata, const char *step_name, const char *text, int64_t t_us) {
  struct job *job = userdata;
  (void)step_name;
  run_record_guest_memory(&job->rec, t_us, text);
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
  job->rec.run.qemu_start_us = qemu_start_us;
  run_record_save(&job->rec);
  if (job->ints)
    int_reader_set_t0(job->ints, t0_us);
  if (job->spec->scenario)
    start_scenario(job);
}

/* A log that cannot be written ends the run (unless its outcome is decided already: then it only
 * ends). */
static void log_console(struct job *job, const char *buf, size_t len) {
  int e = run_record_log(&job->rec, buf, len);
  if (e == 0 || job->verdict.status)
    return;
  run_record_log_lost(&job->rec, -e);
  if (run_verdict_log_lost(&job->verdict, -e))
    decided(job);
}

/* A match that the limits stopped counts as no match: said once per run, not once per line. */
static void note_gave_up(struct job *job) {
  uint64_t n = detector_gave_up(job->det) + (job->scn ? scenario_gave_up(job->scn) : 0);
  if (job->gave_up_noted || n == 0)
    return;
  job->gave_up_noted = true;
  fprintf(stderr,
          "run %s: a marker or scenario pattern gave up on the console text after %d steps (the "
          "match limit); "
          "such text counts as no match (said once per run)\n",
          job->rec.run.id, REGEX_MATCH_LIMIT);
}

static void sup_serial(void *userdata, const char *buf, size_t len, int64_t stamp_us) {
  struct job *job = userdata;
  job->last_stamp_us = stamp_us;
  job->rec.run.serial_bytes += (int64_t)len;
  if (job->rec.log)
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
  run_record_tell_qmp(&job->rec, name);
}

static void sup_symbol(void *userdata, size_t index, int64_t stamp_us) {
  struct job *job = userdata;
  const struct boot_spec *s = job->spec;
  if (index >= s->n_breakpoints)
    return;
  _cleanup_(util_freep) char *text = util_strdupf(
      "breakpoint at %s (0x%llx)", s->bp_functions[index], (unsigned long long)s->bp_addrs[index]);
  if (text &&
      run_record_marker(&job->rec, s->bp_markers[index], stamp_us - job->t0_us, "symbol", text))
    count_later(job, -1, (int)index);
}

static void sup_sample(void *userdata, int64_t stamp_us, const struct procstat_sample *sample) {
  struct job *job = userdata;
  run_record_sample(&job->rec, stamp_us - job->t0_us, sample);
}

static enum run_end run_end_of(enum supervisor_reason reason) {
  switch (reason) {
  case SUP_EXITED: return RUN_END_EXITED;
  case SUP_SPAWN_FAILED: return RUN_END_SPAWN_FAILED;
  case SUP_START_FAILED: return RUN_END_START_FAILED;
  case SUP_TIMEOUT: return RUN_END_TIMEOUT;
  case SUP_SILENT: return RUN_END_SILENT;
  case SUP_STALLED: return RUN_END_STALLED;
  case SUP_STOPPED: return RUN_END_STOPPED;
  case SUP_PROTOCOL_ERROR: return RUN_END_PROTOCOL_ERROR;
  }
  return RUN_END_EXITED;
}

static struct run_facts facts_of(const struct job *job, const struct supervisor_end *end) {
  return (struct run_facts){
      .verdict = &job->verdict,
      .cancelled = job->state == JOB_CANCELLING,
      .daemon_stopping = job->jobs->stopping,
      .monitoring = job->spec->duration_s > 0,
      .accel_stall_s = job->spec->accel_stall_s,
      .reason = run_end_of(end->reason),
      .exit_code = end->exit_code,
      .term_signal = end->term_signal,
      .killed = end->killed,
      .detail = end->detail,
      .qemu_err = end->qemu_err,
  };
}

/* What the guest left behind: its last console line, the scenario's view of its exit, counts. */
static void collect_end(struct job *job, const struct supervisor_end *end) {
  struct run *r = &job->rec.run;
  detector_flush(job->det, job->last_stamp_us - job->t0_us);
  if (job->scn && job->state != JOB_CANCELLING) {
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
  if (job->ints)
    run_record_traps(&job->rec, int_reader_counter(job->ints));
  json_decref(r->missing);
  r->missing = detector_missing(job->det);
  if (job->paths.vclock && end->reason != SUP_SPAWN_FAILED)
    count_markers(job);
}

static void sup_ended(void *userdata, const struct supervisor_end *end) {
  struct job *job = userdata;
  job->sup = NULL; /* freed once this returns */
  collect_end(job, end);
  unlink(job->paths.qmp);
  unlink(job->paths.serial);
  if (job->plan.gdb_path)
    unlink(job->plan.gdb_path);
  struct run_facts f = facts_of(job, end);
  struct run_outcome o;
  run_outcome_decide(&f, &o);
  finish_job(job, JOB_EV_EXIT, &o);
}

static int start_supervisor(struct job *job) {
  struct launch_plan *p = &job->plan;
  const struct boot_spec *s = job->spec;
  int r = launch_plan_argv(p, s, &job->paths);
  if (r < 0)
    return r;
  struct supervisor_config cfg = {
      .argv = p->cmd.argv,
      .qmp_path = job->paths.qmp,
      .serial_path = job->paths.serial,
      .serial_fifo = bootspec_virtual_clock(s),
      .timeout_ms = p->timeout_ms,
      .silence_ms = p->silence_ms,
      .stall_ms = p->stall_ms,
      .sample_ms = p->sample_ms,
      .gdb_path = p->gdb_path,
      .bp_addrs = s->bp_addrs,
      .n_bps = s->n_breakpoints,
      .bp_bits = s->bp_bits,
      .info_mem = p->info_mem,
  };
  struct supervisor_callbacks cb = {sup_started, sup_serial, sup_event,
                                    sup_sample,  sup_symbol, sup_ended};
  r = supervisor_start(job->jobs->loop, &cfg, &cb, job, &job->sup);
  qemu_cmd_clear(&p->cmd);
  return r;
}

static void fail_start(struct job *job, int errnum) {
  struct run_outcome o;
  run_outcome_launch_failed(errnum, &o);
  finish_job(job, JOB_EV_FAIL, &o);
}

/* The virtual clock's plugin counts the console from QEMU's copy of it, a FIFO: QEMU opens it for
 * writing before it loads the plugin, which would block without a reader, so one is held here until
 * the run ends (it never reads: the plugin's end drains the pipe). 1 MiB of room. */
static int open_vclock_log(struct job *job) {
  _cleanup_(util_freep) char *path = vclock_file(job->paths.vclock, VCLOCK_CONSOLE);
  if (!path)
    return -ENOMEM;
  unlink(path);
  if (mkfifo(path, 0600) < 0)
    return -errno;
  job->vclock_log_fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (job->vclock_log_fd < 0)
    return -errno;
  if (fcntl(job->vclock_log_fd, F_SETPIPE_SZ, 1 << 20) < 0)
    fprintf(stderr, "run %s: the virtual clock's console pipe keeps its default size: %s\n",
            job->rec.run.id, strerror(errno));
  return 0;
}

static void launch(struct job *job) {
  if (aborted(job))
    return;
  int r = job->rec.log ? 0 : -EIO;
  if (r == 0 && job->paths.vclock)
    r = open_vclock_log(job);
  /* The FIFO is open for reading before QEMU starts, so QEMU's open of its log does not block. */
  if (r == 0 && job->paths.int_fifo)
    r = int_reader_start(job->jobs->loop, job->paths.int_fifo, &job->ints);
  if (r == 0)
    r = start_supervisor(job);
  if (r < 0)
    fail_start(job, -r);
  else
    step(job, JOB_EV_SPAWN);
}

static void on_overlay_ready(void *userdata, int status, const char *err) {
  struct job *job = userdata;
  if (aborted(job))
    return;
  if (status != 0) {
    struct run_outcome o;
    run_outcome_overlay_failed(job->spec->disk, err, &o);
    finish_job(job, JOB_EV_FAIL, &o);
    return;
  }
  launch(job);
}

/* Disk runs boot a fresh qcow2 overlay: the image the user gave is never written. */
static void make_overlay(struct job *job) {
  const char *format = disk_format(job->spec->disk);
  const char *qemu_img = job->jobs->host->qemu.path[QEMU_IMG];
  char **argv = format && qemu_img
                    ? disk_overlay_argv(qemu_img, job->spec->disk, format, job->paths.overlay)
                    : NULL;
  int r = argv ? tool_run(job->jobs->loop, argv, on_overlay_ready, job) : -ENOMEM;
  disk_argv_free(argv);
  if (r < 0)
    on_overlay_ready(job, r,
                     !format     ? "cannot read the disk image"
                     : !qemu_img ? "qemu-img is not installed in the QEMU directory (--qemu-dir)"
                                 : strerror(-r));
}

static void prepare_disk(struct job *job) {
  if (job->paths.overlay && job->rec.log)
    make_overlay(job);
  else
    launch(job);
}

static void fail_check(struct job *job, const struct ma_error *err, const char *when) {
  struct run_outcome o;
  run_outcome_check_failed(err->code, when, err->message, &o);
  finish_job(job, JOB_EV_FAIL, &o);
}

static void on_chain_checked(void *userdata, int r, const struct ma_error *err) {
  struct job *job = userdata;
  if (aborted(job))
    return;
  if (r < 0)
    fail_check(job, err, "the disk's backing chain, read when the run started");
  else
    prepare_disk(job);
}

/* The files were judged when the request came, but a queued run starts later: a file swapped for a
 * symlink out of the image dirs (or a FIFO) since then must not be opened. They are judged again
 * here, just before QEMU starts, which leaves as the window the backing-chain read (qemu-img, one
 * call per file of the chain), the overlay's creation and QEMU's own start-up, instead of the whole
 * wait in the queue. Handing QEMU descriptors (-add-fd) would close that window for drives only:
 * -kernel and -initrd take names. A qcow2 disk's backing chain is read here too (qemu-img, off the
 * loop), once, for boots, matrices and installs alike; the run's own overlay is the daemon's and is
 * not judged, the user's disk below it is. */
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
    ma_error_set(&err, EINVAL, "qemu_not_found", "disk",
                 "qemu-img is not installed in the QEMU directory (--qemu-dir)");
    fail_check(job, &err, "cannot read the disk's backing chain");
  } else if (disk_chain_check(job->jobs->loop, qemu_img, s->disk, format, job->jobs->image_dirs,
                              on_chain_checked, job) < 0) {
    ma_error_set(&err, EIO, "internal_error", "disk", "out of memory");
    fail_check(job, &err, "cannot read the disk's backing chain");
  }
}

static void start_job(struct job *job) {
  struct jobs *j = job->jobs;
  struct run *r = &job->rec.run;
  step(job, JOB_EV_START);
  j->n_queued--;
  j->n_running++;
  j->exclusive_running = job->exclusive;
  int e = launch_plan_init(&job->plan, job->spec, &j->host->kvm, &job->paths);
  if (e == 0) {
    run_set_str(&r->accel, job->plan.accel);
    run_set_str(&r->accel_note, job->plan.accel_note);
    run_set_str(&r->host_json, j->host_facts);
    run_set_str(&r->status, "running");
  }
  r->started_us = util_wall_us();
  if (e < 0 || !r->accel || !r->status) { /* nothing started yet: end it as a launch that failed */
    fail_start(job, ENOMEM);
    return;
  }
  run_record_open_log(&job->rec); /* a log that does not open fails the launch */
  run_record_save(&job->rec);
  run_record_tell_status(&job->rec, JOBS_EV_STATUS);
  if (!aborted(job)) /* a follower may cancel the run when it hears that it runs */
    check_files(job);
}

static struct job *first_queued(struct jobs *j) {
  for (struct job *job = j->active; job; job = job->next)
    if (job->state == JOB_QUEUED)
      return job;
  return NULL;
}

/* Strict FIFO: an exclusive job waits for the machine to empty, and holds it. */
static bool can_start(const struct jobs *j, const struct job *job) {
  return j->n_running < j->max_running && !j->exclusive_running &&
         !(job->exclusive && j->n_running > 0);
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
  *j = (struct jobs){.loop = loop,
                     .store = store,
                     .profiles = profiles,
                     .host = host,
                     .state_dir = strdup(cfg->state_dir),
                     .max_running = cfg->max_running,
                     .max_queued = cfg->max_queued,
                     .max_log_bytes = cfg->max_log_bytes,
                     .disk = cfg->disk,
                     .image_dirs = cfg->image_dirs};
  json_auto_t *facts = host_facts_json("/proc/cpuinfo", host ? host->qemu_version : NULL);
  j->host_facts = facts ? json_dumps(facts, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
  _cleanup_(util_freep) char *runs = util_strdupf("%s/runs", cfg->state_dir);
  _cleanup_(util_freep) char *socks = util_strdupf("%s/sock", cfg->state_dir);
  _cleanup_(util_freep) char *overlays = util_strdupf("%s/overlays", cfg->state_dir);
  if (!j->state_dir || !j->host_facts || util_mkdir_p(runs, 0750) < 0 ||
      util_mkdir_p(socks, 0700) < 0 || util_mkdir_p(overlays, 0750) < 0) {
    jobs_free(j);
    return NULL;
  }
  return j;
}

void jobs_free(struct jobs *j) {
  if (!j)
    return;
  free(j->state_dir);
  free(j->host_facts);
  free(j);
}

static struct job *new_job(struct jobs *j, struct boot_spec *spec) {
  struct job *job = calloc(1, sizeof *job);
  if (!job)
    return NULL;
  job->jobs = j;
  job->vclock_log_fd = -1;
  job->spec = spec;
  job->state = JOB_QUEUED;
  job->profile = profile_set_find(j->profiles, spec->profile);
  run_record_init(&job->rec, j->store, j->disk, j->max_log_bytes);
  struct run *r = &job->rec.run;
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
  bool paths_ok = launch_paths_init(&job->paths, j->state_dir, r->id, spec) == 0;
  if (paths_ok && spec->keep_overlay &&
      job->paths.overlay) /* the run says where its kept overlay is */
    json_object_set_new(spec->json, "overlay", json_string(job->paths.overlay));
  r->spec_json = json_dumps(spec->json, JSON_COMPACT | JSON_SORT_KEYS);
  r->created_us = util_wall_us();
  if (paths_ok)
    run_set_str(&r->serial_path, job->paths.serial_log);
  if (!r->status || !r->arch || !r->accel_requested || !r->profile || (spec->label && !r->label) ||
      !paths_ok || !r->spec_json || !r->serial_path) {
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
    ma_error_set(err, EAGAIN, "queue_full", NULL,
                 "too many runs are waiting (--max-queued); retry later");
  else if (r == -E2BIG)
    ma_error_set(err, EINVAL, "too_many_runs", NULL,
                 "this asks for more runs than --max-queued lets wait at once");
  else if (r == -ESHUTDOWN)
    ma_error_set(err, EAGAIN, "shutting_down", NULL, "the daemon is stopping");
  else if (r == -ENOSPC)
    ma_error_set(
        err, ENOSPC, "disk_full", NULL,
        "the state dir's filesystem is (nearly) full (--min-free-mb); free space, then retry");
  else if (r == -EDQUOT)
    ma_error_set(
        err, ENOSPC, "state_dir_over_quota", NULL,
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
    ma_error_set(err, EINVAL, "too_many_runs", field,
                 "this asks for %d runs at once, more than --max-queued (%d) lets wait", n,
                 j->max_queued);
  else
    jobs_refusal(r, err);
  return r;
}

void jobs_release(struct jobs *j, int n) { j->n_reserved -= n; }

int jobs_submit_opts(struct jobs *j, struct boot_spec *spec, const struct jobs_submit_opts *opts,
                     char id[UTIL_ID_LEN + 1]) {
  bool reserved = opts && opts->reserved;
  int r = jobs_admit(j);
  /* Reserved slots count as waiting runs: a boot does not take the place of a matrix's later runs.
   */
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
    run_set_str(&job->rec.run.matrix_id, opts->matrix_id);
    job->rec.run.matrix_index = opts->matrix_id ? opts->matrix_index : RUN_NULL;
  }
  char *err = NULL;
  job->det = detector_new(job->profile, spec->until, on_detector, job, &err);
  free(err); /* the regex was validated with the request */
  r = job->det ? store_run_insert(j->store, &job->rec.run) : -EINVAL;
  if (r < 0) {
    free_job(job);
    return r;
  }
  memcpy(id, job->rec.run.id, UTIL_ID_LEN + 1);
  if (reserved) /* the slot it was admitted with is now this run's place in the queue */
    j->n_reserved--;
  struct job **tail = &j->active;
  while (*tail)
    tail = &(*tail)->next;
  *tail = job;
  j->n_queued++;
  if (opts && opts->cb)
    *opts->sub = jobs_subscribe(j, job->rec.run.id, opts->cb, opts->userdata);
  pump(j);
  return 0;
}

static struct job *find(struct jobs *j, const char *id) {
  for (struct job *job = j->active; job; job = job->next)
    if (strcmp(job->rec.run.id, id) == 0)
      return job;
  return NULL;
}

static void cancel_job(struct job *job) {
  enum job_state from = job->state;
  if (from == JOB_CANCELLING)
    return; /* QEMU was killed already, or a start step in flight ends the job */
  if (from == JOB_QUEUED) {
    end_before_start(job, JOB_EV_CANCEL);
    return;
  }
  step(job, JOB_EV_CANCEL);
  if (job->sup) /* else a start step is in flight (the overlay, the chain): it ends the job when it
                   returns */
    supervisor_kill(job->sup);
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
  return job ? run_record_subscribe(&job->rec, cb, userdata) : NULL;
}

void jobs_unsubscribe(struct jobs_sub *sub) { run_record_unsubscribe(sub); }

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
    cancel_job(job);
  }
  pump(j);
}

#include "core/run_record.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/disk_guard.h"
#include "lib/guest_memory.h"
#include "lib/util.h"

struct jobs_sub {
  struct run_record *rec; /* NULL once the run ended */
  struct jobs_sub *next;
  jobs_event_cb cb;
  void *userdata;
};

void run_record_init(struct run_record *rec, struct store *store, struct disk_guard *disk,
                     int64_t max_log_bytes) {
  *rec = (struct run_record){.store = store, .disk = disk, .max_log_bytes = max_log_bytes};
  run_init(&rec->run);
}

void run_record_clear(struct run_record *rec) {
  for (struct jobs_sub *s = rec->subs; s; s = s->next)
    s->rec = NULL;
  rec->subs = NULL;
  if (rec->log)
    fclose(rec->log);
  rec->log = NULL;
  run_clear(&rec->run);
}

void run_record_save(struct run_record *rec) {
  int r = store_run_update(rec->store, &rec->run);
  if (r < 0)
    fprintf(stderr, "run %s: cannot update the store: %s\n", rec->run.id, strerror(-r));
}

/* data is stolen. */
static void emit(struct run_record *rec, enum jobs_event_kind kind, json_t *data) {
  /* Serialized once here, not once per subscriber: 200 event streams on a
   * flooding guest made 200 copies of every console line's JSON. */
  _cleanup_(util_freep) char *json = rec->subs ? json_dumps(data, RUN_JSON_FLAGS) : NULL;
  struct jobs_event ev = {kind, rec->run.id, data, json};
  for (struct jobs_sub *s = rec->subs, *next; s; s = next) {
    next = s->next; /* a follower may unsubscribe itself */
    s->cb(s->userdata, &ev);
  }
  json_decref(data);
}

void run_record_tell_status(struct run_record *rec, enum jobs_event_kind kind) {
  emit(rec, kind, json_pack("{s:s, s:s}", "id", rec->run.id, "status", rec->run.status));
}

void run_record_tell_qmp(struct run_record *rec, const char *name) {
  emit(rec, JOBS_EV_STATUS,
       json_pack("{s:s, s:s, s:s}", "id", rec->run.id, "status", rec->run.status, "qmp_event",
                 name));
}

void run_record_tell_line(struct run_record *rec, int64_t t_us, const char *text) {
  emit(rec, JOBS_EV_SERIAL,
       json_pack("{s:f, s:o, s:I}", "t_ms", (double)t_us / 1000.0, "line",
                 run_json_text(text, strlen(text)), "n", (json_int_t)++rec->lines_told));
}

bool run_record_marker(struct run_record *rec, const char *name, int64_t t_us, const char *source,
                       const char *text) {
  struct run *r = &rec->run;
  if (run_add_marker(r, name, t_us, source, text) < 0)
    return false;
  int err = store_marker_insert(rec->store, r->id, r->n_markers - 1, &r->markers[r->n_markers - 1]);
  if (err < 0)
    fprintf(stderr, "run %s: cannot store %s marker %s: %s\n", r->id, source, name, strerror(-err));
  emit(rec, JOBS_EV_MARKER,
       json_pack("{s:s, s:f, s:s, s:o}", "name", name, "t_ms", (double)t_us / 1000.0, "source",
                 source, "text", run_json_text(text, strlen(text))));
  return true;
}

void run_record_error(struct run_record *rec, const char *code, const char *message) {
  run_set_str(&rec->run.error_code, code);
  run_set_str(&rec->run.error_message, message);
}

void run_record_finish(struct run_record *rec, const char *status) {
  run_set_str(&rec->run.status, status);
  rec->run.finished_us = util_wall_us();
  run_record_save(rec);
  run_record_tell_status(rec, JOBS_EV_END);
}

bool run_record_open_log(struct run_record *rec) {
  rec->log = util_fopen_private(rec->run.serial_path, "wb");
  return rec->log != NULL;
}

/* Up to the cap, then one line saying so: a flooding guest cannot fill the disk, and the run goes
 * on. */
int run_record_log(struct run_record *rec, const char *buf, size_t len) {
  struct run *r = &rec->run;
  if (!rec->log)
    return 0;
  int64_t cap = rec->max_log_bytes, logged = r->serial_logged == RUN_NULL ? 0 : r->serial_logged;
  size_t take =
      cap && logged + (int64_t)len > cap ? (size_t)(cap > logged ? cap - logged : 0) : len;
  bool cut_now = take < len && !rec->log_cut;
  rec->log_cut |= cut_now;
  _cleanup_(util_freep) char *note =
      cut_now ? util_strdupf("\n[minix-analysis: console log cut at %lld bytes (--max-log-mb); the "
                             "run goes on]\n",
                             (long long)cap)
              : NULL;
  /* Flushed per read: the log on disk is complete up to the last read even if we crash. */
  bool ok = fwrite(buf, 1, take, rec->log) == take && (!note || fputs(note, rec->log) >= 0) &&
            fflush(rec->log) == 0;
  int e = errno;
  r->serial_logged = logged + (int64_t)take;
  if (cut_now)
    run_record_save(rec);
  return ok ? 0 : -(e ? e : EIO);
}

void run_record_log_lost(struct run_record *rec, int errnum) {
  if ((errnum == ENOSPC || errnum == EDQUOT) &&
      rec->disk) /* room for the store to record how runs end */
    disk_guard_ran_out(rec->disk);
  if (rec->log)
    fclose(rec->log);
  rec->log = NULL;
}

void run_record_sample(struct run_record *rec, int64_t t_us, const struct procstat_sample *sample) {
  int r = store_memory_insert(rec->store, rec->run.id, t_us, sample);
  if (r < 0)
    fprintf(stderr, "run %s: cannot store a memory sample: %s\n", rec->run.id, strerror(-r));
}

void run_record_guest_memory(struct run_record *rec, int64_t t_us, const char *text) {
  json_auto_t *values = guest_memory_parse(text);
  int r = values ? store_guest_memory_insert(rec->store, rec->run.id, t_us, values) : 0;
  if (r < 0)
    fprintf(stderr, "run %s: cannot store a guest memory sample: %s\n", rec->run.id, strerror(-r));
}

void run_record_traps(struct run_record *rec, const struct int_counter *counter) {
  int e = store_traps_put(rec->store, rec->run.id, counter);
  if (e < 0)
    fprintf(stderr, "run %s: cannot store its trap counts: %s\n", rec->run.id, strerror(-e));
}

struct jobs_sub *run_record_subscribe(struct run_record *rec, jobs_event_cb cb, void *userdata) {
  struct jobs_sub *sub = calloc(1, sizeof *sub);
  if (!sub)
    return NULL;
  /* Appended: the first to subscribe hears first. A trace or an install subscribes when it submits,
   * so its document is final before a later follower (an MCP call waiting on the run) hears of the
   * end. */
  *sub = (struct jobs_sub){.rec = rec, .next = NULL, .cb = cb, .userdata = userdata};
  struct jobs_sub **tail = &rec->subs;
  while (*tail)
    tail = &(*tail)->next;
  *tail = sub;
  return sub;
}

void run_record_unsubscribe(struct jobs_sub *sub) {
  if (!sub)
    return;
  if (sub->rec) {
    for (struct jobs_sub **p = &sub->rec->subs; *p; p = &(*p)->next) {
      if (*p == sub) {
        *p = sub->next;
        break;
      }
    }
  }
  free(sub);
}

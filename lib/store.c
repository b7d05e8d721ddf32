#define STORE_PRIVATE_ALLOWED /* a store file: see lib/store_private.h */
#include "lib/store.h"
#include "lib/store_private.h"

#include <assert.h>
#include <errno.h>
#include <sys/stat.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "lib/embedded.h"

#define RUN_COLUMNS                                                                                \
  "id, status, arch, cpus, memory_mb, accel, accel_requested, accel_note, profile, label, "        \
  "spec_json,"                                                                                     \
  " created_us, started_us, finished_us, qemu_start_us, boot_time_us, terminal_marker, "           \
  "guest_cpus_online,"                                                                             \
  " missing_json, error_code, error_message, exit_code, exit_signal, serial_path, serial_bytes, "  \
  "seq,"                                                                                           \
  " matrix_id, matrix_index, serial_logged, host_json, slurm_job"

/* The SQL of the statements this file runs (lib/store_private.h: the registry). */
store_sql_table store_runs_sql = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_SCHEMA_VERSION] = "PRAGMA user_version",
    [ST_RUN_INSERT] =
        "INSERT INTO runs (id, status, arch, cpus, memory_mb, accel_requested, profile, label,"
        " spec_json, created_us, serial_path, matrix_id, matrix_index)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
    [ST_RUN_UPDATE] =
        "UPDATE runs SET status=?2, accel=?3, accel_note=?4, started_us=?5, finished_us=?6,"
        " qemu_start_us=?7, boot_time_us=?8, terminal_marker=?9, guest_cpus_online=?10,"
        " missing_json=?11, error_code=?12, error_message=?13, exit_code=?14, exit_signal=?15,"
        " serial_bytes=?16, serial_logged=?17, host_json=?18, slurm_job=?19 WHERE id=?1",
    [ST_MARKERS_DELETE] = "DELETE FROM markers WHERE run_id=?",
    [ST_MARKER_INSERT] = "INSERT INTO markers (run_id, ord, name, t_us, source, text, instructions)"
                         " VALUES (?,?,?,?,?,?,?)",
    [ST_MARKER_INSTRUCTIONS] = "UPDATE markers SET instructions=?3 WHERE run_id=?1 AND ord=?2",
    [ST_RUN_GET] = "SELECT " RUN_COLUMNS " FROM runs WHERE id=?",
    [ST_MARKERS] = "SELECT name, t_us, source, text, instructions FROM markers WHERE run_id=?"
                   " ORDER BY t_us, ord",
    /* Each filter is NULL (any) or the value the column must equal. */
    [ST_RUNS_LIST] = "SELECT " RUN_COLUMNS " FROM runs WHERE seq < ?1"
                     " AND (?2 IS NULL OR status = ?2) AND (?3 IS NULL OR profile = ?3)"
                     " AND (?4 IS NULL OR label = ?4) ORDER BY seq DESC LIMIT ?5",
    /* A run in a Slurm job goes on without the daemon: the next one adopts it. */
    [ST_RUNS_INTERRUPT] =
        "UPDATE runs SET status='interrupted', finished_us=?, error_code='interrupted',"
        " error_message='the daemon stopped while this run was queued or running'"
        " WHERE status IN ('queued','running') AND slurm_job IS NULL",
    [ST_MATRIX_INSERT] =
        "INSERT INTO matrices (id, status, request_json, isolation, parallel, total, created_us)"
        " VALUES (?,'running',?,?,?,?,?)",
    [ST_MATRIX_FINISH] = "UPDATE matrices SET status=?2, finished_us=?3 WHERE id=?1",
    [ST_MATRIX_GET] =
        "SELECT id, status, request_json, isolation, parallel, total, created_us, finished_us"
        " FROM matrices WHERE id=?",
    [ST_MATRIX_RUNS] = "SELECT id FROM runs WHERE matrix_id=? ORDER BY matrix_index",
    [ST_MATRICES_LIST] =
        "SELECT id, status, request_json, isolation, parallel, total, created_us, finished_us,"
        " (SELECT count(*) FROM runs WHERE matrix_id=matrices.id"
        "  AND status NOT IN ('queued','running'))"
        " FROM matrices ORDER BY seq DESC LIMIT ?",
    [ST_MATRICES_INTERRUPT] =
        "UPDATE matrices SET status='interrupted', finished_us=? WHERE status='running' AND NOT"
        " EXISTS (SELECT 1 FROM runs WHERE matrix_id=matrices.id AND slurm_job IS NOT NULL"
        " AND status IN ('queued','running'))",
    [ST_IMAGE_PUT] =
        "INSERT INTO images (id, sha256, path, kind, info_json, created_us) VALUES (?,?,?,?,?,?)"
        " ON CONFLICT(sha256) DO UPDATE SET path=excluded.path, info_json=excluded.info_json"
        " RETURNING id",
    [ST_IMAGE_GET] = "SELECT id, path, kind, info_json, created_us FROM images WHERE id=?",
    [ST_IMAGE_LIST] = "SELECT id, path, kind, info_json, created_us FROM images ORDER BY seq DESC",
    [ST_IMAGE_DELETE] = "DELETE FROM images WHERE id=?",
    [ST_MEMORY_INSERT] =
        "INSERT OR REPLACE INTO memory_samples (run_id, t_us, rss_kb, minflt, majflt, utime_ms,"
        " stime_ms, vcpu_ms_json, guest_ram_mb, guest_mapped_kb, info_mem_us)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?)",
    [ST_MEMORY_LIST] =
        "SELECT t_us, rss_kb, minflt, majflt, utime_ms, stime_ms, vcpu_ms_json, guest_ram_mb,"
        " guest_mapped_kb, info_mem_us"
        " FROM memory_samples WHERE run_id=? ORDER BY t_us",
};

static const store_sql_table *const sql_tables[] = {&store_runs_sql,   &store_docs_sql,
                                                    &store_guest_sql,  &store_metrics_sql,
                                                    &store_tokens_sql, &store_traps_sql};

struct store {
  sqlite3 *db;
  sqlite3_stmt *stmt[ST_COUNT];
  int prepared; /* statements prepared since store_open: the registry's size, never more */
  int compiles; /* authorizer calls since the registry was prepared (see count_compile) */
  uint64_t runs_generation; /* bumped by every change to a run row */
};

uint64_t store_runs_generation(const struct store *s) { return s->runs_generation; }

sqlite3 *store_db(struct store *s) { return s->db; }

int sqlite_errno(int rc) {
  switch (rc & 0xff) {
  case SQLITE_OK:
  case SQLITE_DONE:
  case SQLITE_ROW: return 0;
  case SQLITE_NOMEM: return -ENOMEM;
  case SQLITE_BUSY:
  case SQLITE_LOCKED: return -EBUSY;
  case SQLITE_CANTOPEN:
  case SQLITE_PERM:
  case SQLITE_READONLY: return -EACCES;
  case SQLITE_CONSTRAINT: return -EEXIST;
  default: return -EIO;
  }
}

/* Only for what runs once, at open: the pragmas and the migrations, whose text is not a single
 * statement. */
static int exec(struct store *s, const char *sql, char **err) {
  char *msg = NULL;
  int rc = sqlite3_exec(s->db, sql, NULL, NULL, &msg);
  if (rc != SQLITE_OK && err)
    *err = util_strdupf("%s", msg ? msg : sqlite3_errstr(rc));
  sqlite3_free(msg);
  return sqlite_errno(rc);
}

/* Prepared here, outside the registry: migrate() reads it before the tables that the registry's
 * statements name exist. */
static int user_version(struct store *s) {
  sqlite3_stmt *st;
  int v = -1;
  if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW)
    v = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  return v;
}

/* Migration N is the N-th file; user_version records the last one applied, each
 * in its own transaction so a crash leaves the schema at a known version. */
static int migrate(struct store *s, char **err) {
  int have = user_version(s);
  int n = 0;
  for (const struct embedded_file *f = embedded_migrations; f->name; f++) {
    if (++n <= have)
      continue;
    _cleanup_(util_freep) char *sql =
        util_strdupf("BEGIN IMMEDIATE;\n%s\nPRAGMA user_version = %d;\nCOMMIT;", f->text, n);
    int r = sql ? exec(s, sql, err) : -ENOMEM;
    if (r < 0) {
      exec(s, "ROLLBACK", NULL);
      char *inner = err ? *err : NULL;
      if (err)
        *err = util_strdupf("migration %s: %s", f->name, inner ? inner : "failed");
      free(inner);
      return r;
    }
  }
  return 0;
}

/* The SQL of statement id from the file that owns it; NULL when no file or two files claim it. */
static const char *sql_of(int id) {
  const char *sql = NULL;
  for (size_t t = 0; t < sizeof sql_tables / sizeof sql_tables[0]; t++) {
    const char *mine = (*sql_tables[t])[id];
    if (mine && sql)
      return NULL;
    sql = mine ? mine : sql;
  }
  return sql;
}

/* After the migrations: the statements name their tables. PERSISTENT tells SQLite they live long.
 */
static int prepare_all(struct store *s, char **err) {
  for (int i = 0; i < ST_COUNT; i++) {
    const char *sql = sql_of(i);
    if (!sql) {
      *err = util_strdupf("statement %d: no SQL, or SQL in two store files", i);
      return -EINVAL;
    }
    int rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s->stmt[i], NULL);
    if (rc != SQLITE_OK) {
      *err = util_strdupf("preparing statement %d: %s", i, sqlite3_errmsg(s->db));
      return sqlite_errno(rc);
    }
    s->prepared++;
  }
  return 0;
}

/* SQLite calls the authorizer only while it compiles a statement: after the registry is prepared, a
 * call means a statement prepared on the side (or re-prepared after a schema change). Counted for
 * the tests. */
static int count_compile(void *u, int action, const char *a, const char *b, const char *c,
                         const char *d) {
  (void)action, (void)a, (void)b, (void)c, (void)d;
  ((struct store *)u)->compiles++;
  return SQLITE_OK;
}

/* SQLite would create the database 0644 less the umask, and it gives its -wal and
 * -shm files the database's mode (fchmod, past the umask): made 0600 here first, all
 * three stay private to the daemon's user (the file holds token hashes and every run). */
static int create_private(const char *path, char **err) {
  FILE *f = util_fopen_private(path, "ab");
  /* A database an older version made with the umask's mode (0644) is made private too; SQLite
   * then gives its -wal and -shm files that mode. */
  int e = !f ? -errno : fchmod(fileno(f), 0600) < 0 ? -errno : 0;
  if (f)
    fclose(f);
  for (const char *const *sfx = (const char *const[]){"-wal", "-shm", NULL}; e == 0 && *sfx;
       sfx++) {
    _cleanup_(util_freep) char *side = util_strdupf("%s%s", path, *sfx);
    if (side && chmod(side, 0600) < 0 && errno != ENOENT)
      e = -errno;
  }
  if (e < 0)
    *err = util_strdupf("%s: %s", path, strerror(-e));
  return e;
}

int store_open(const char *path, struct store **out, char **err) {
  *err = NULL;
  int r = create_private(path, err);
  if (r < 0)
    return r;
  struct store *s = calloc(1, sizeof *s);
  if (!s)
    return -ENOMEM;
  int rc = sqlite3_open_v2(path, &s->db,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
  r = sqlite_errno(rc);
  if (r < 0)
    *err = util_strdupf("%s: %s", path, s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
  if (r == 0) {
    sqlite3_busy_timeout(s->db, 5000);
    /* WAL + synchronous=NORMAL: a committed run survives a daemon crash; only an
     * OS crash can lose the last transactions, never corrupt the file. */
    r = exec(s, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;", err);
  }
  if (r == 0)
    r = migrate(s, err);
  /* Before the registry: setting an authorizer expires the statements prepared so far. */
  if (r == 0)
    r = sqlite_errno(sqlite3_set_authorizer(s->db, count_compile, s));
  if (r == 0)
    r = prepare_all(s, err);
  s->compiles = 0;
  if (r < 0) {
    store_close(s);
    return r;
  }
  *out = s;
  return 0;
}

int store_close(struct store *s) {
  if (!s)
    return 0;
  for (int i = 0; i < ST_COUNT; i++)
    sqlite3_finalize(s->stmt[i]);
  /* sqlite3_close, not _v2: it refuses while a statement is alive, which would be one prepared
   * outside the registry and never finalized. Reported, then closed anyway so that the connection
   * is not leaked. */
  int rc = sqlite3_close(s->db);
  if (rc != SQLITE_OK)
    sqlite3_close_v2(s->db);
  free(s);
  return rc == SQLITE_OK ? 0 : -EBUSY;
}

void store_stmt_stats(struct store *s, struct store_stmt_stats *out) {
  *out = (struct store_stmt_stats){.prepared = s->prepared, .compiles = s->compiles};
  for (sqlite3_stmt *st = sqlite3_next_stmt(s->db, NULL); st; st = sqlite3_next_stmt(s->db, st)) {
    out->live++;
    out->busy += sqlite3_stmt_busy(st) != 0;
  }
}

sqlite3_stmt *store_stmt(struct store *s, enum store_stmt id) {
  sqlite3_stmt *st = s->stmt[id];
  /* One user at a time: a nested use would reset the outer loop's statement under it. */
  assert(!sqlite3_stmt_busy(st));
  return st;
}

void store_stmt_resetp(sqlite3_stmt **st) {
  if (!*st)
    return;
  sqlite3_reset(*st);
  sqlite3_clear_bindings(*st);
}

int store_step_done(sqlite3_stmt *st) {
  int rc = sqlite3_step(st);
  return rc == SQLITE_DONE ? 0 : sqlite_errno(rc);
}

static int run_stmt(struct store *s, enum store_stmt id) {
  _cleanup_stmt_ sqlite3_stmt *st = store_stmt(s, id);
  return store_step_done(st);
}

int store_schema_version(struct store *s) {
  _cleanup_stmt_ sqlite3_stmt *st = store_stmt(s, ST_SCHEMA_VERSION);
  return sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
}

int store_begin(struct store *s) { return run_stmt(s, ST_BEGIN); }

int store_end(struct store *s, int r) {
  if (r >= 0) {
    int c = run_stmt(s, ST_COMMIT);
    if (c == 0)
      return r;
    r = c;
  }
  run_stmt(s, ST_ROLLBACK);
  return r;
}

static void bind_text(sqlite3_stmt *st, int i, const char *v) {
  if (v)
    sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null(st, i);
}

static void bind_int(sqlite3_stmt *st, int i, int64_t v, int64_t null_value) {
  if (v == null_value)
    sqlite3_bind_null(st, i);
  else
    sqlite3_bind_int64(st, i, v);
}

int store_run_insert(struct store *s, const struct run *r) {
  s->runs_generation++;
  _cleanup_stmt_ sqlite3_stmt *st = store_stmt(s, ST_RUN_INSERT);
  bind_text(st, 1, r->id);
  bind_text(st, 2, r->status);
  bind_text(st, 3, r->arch);
  sqlite3_bind_int(st, 4, r->cpus);
  sqlite3_bind_int(st, 5, r->memory_mb);
  bind_text(st, 6, r->accel_requested);
  bind_text(st, 7, r->profile);
  bind_text(st, 8, r->label);
  bind_text(st, 9, r->spec_json);
  sqlite3_bind_int64(st, 10, r->created_us);
  bind_text(st, 11, r->serial_path);
  bind_text(st, 12, r->matrix_id);
  bind_int(st, 13, r->matrix_index, RUN_NULL);
  return store_step_done(st);
}

int store_run_update(struct store *s, const struct run *r) {
  s->runs_generation++;
  _cleanup_stmt_ sqlite3_stmt *st = store_stmt(s, ST_RUN_UPDATE);
  bind_text(st, 1, r->id);
  bind_text(st, 2, r->status);
  bind_text(st, 3, r->accel);
  bind_text(st, 4, r->accel_note);
  bind_int(st, 5, r->started_us, 0);
  bind_int(st, 6, r->finished_us, 0);
  bind_int(st, 7, r->qemu_start_us, RUN_NULL);
  bind_int(st, 8, r->boot_time_us, RUN_NULL);
  bind_text(st, 9, r->terminal_marker);
  bind_int(st, 10, r->guest_cpus_online, RUN_NULL);
  _cleanup_(util_freep) char *missing = r->missing ? json_dumps(r->missing, JSON_COMPACT) : NULL;
  bind_text(st, 11, missing);
  bind_text(st, 12, r->error_code);
  bind_text(st, 13, r->error_message);
  bind_int(st, 14, r->exit_code, RUN_NULL);
  bind_int(st, 15, r->exit_signal, RUN_NULL);
  sqlite3_bind_int64(st, 16, r->serial_bytes);
  bind_int(st, 17, r->serial_logged, RUN_NULL);
  bind_text(st, 18, r->host_json);
  bind_text(st, 19, r->slurm_job);
  int rc = store_step_done(st);
  return rc == 0 && sqlite3_changes(s->db) == 0 ? -ENOENT : rc;
}

int store_run_import(struct store *s, const struct run *r) {
  int e = store_begin(s);
  if (e < 0)
    return e;
  _cleanup_stmt_ sqlite3_stmt *del = store_stmt(s, ST_MARKERS_DELETE);
  bind_text(del, 1, r->id);
  e = store_step_done(del);
  for (size_t i = 0; e == 0 && i < r->n_markers; i++)
    e = store_marker_insert(s, r->id, i, &r->markers[i]);
  if (e == 0)
    e = store_run_update(s, r);
  return store_end(s, e);
}

int store_marker_insert(struct store *s, const char *run_id, size_t ord,
                        const struct run_marker *m) {
  _cleanup_stmt_ sqlite3_stmt *st = store_stmt(s, ST_MARKER_INSERT);
  bind_text(st, 1, run_id);
  sqlite3_bind_int64(st, 2, (int64_t)ord);
  bind_text(st, 3, m->name);
  sqlite3_bind_int64(st, 4, m->t_us);
  bind_text(st, 5, m->source);
  bind_text(st, 6, m->text);
  bind_int(st, 7, m->instructions, RUN_NULL);
  return store_step_done(st);
}

int store_marker_set_instructions(struct store *s, const char *run_id, size_t ord,
                                  int64_t instructions) {
  _cleanup_stmt_ sqlite3_stmt *st = store_stmt(s, ST_MARKER_INSTRUCTIONS);
  bind_text(st, 1, run_id);
  sqlite3_bind_int64(st, 2, (int64_t)ord);
  bind_int(st, 3, instructions, RUN_NULL);
  return store_step_done(st);
}

static char *col_str(sqlite3_stmt *st, int i) {
  const unsigned char *v = sqlite3_column_text(st, i);
  return v ? strdup((const char *)v) : NULL;
}

static int64_t col_int(sqlite3_stmt *st, int i, int64_t null_value) {
  return sqlite3_column_type(st, i) == SQLITE_NULL ? null_value : sqlite3_column_int64(st, i);
}

static void read_row(sqlite3_stmt *st, struct run *r) {
  run_init(r);
  const unsigned char *id = sqlite3_column_text(st, 0);
  snprintf(r->id, sizeof r->id, "%s", id ? (const char *)id : "");
  r->status = col_str(st, 1);
  r->arch = col_str(st, 2);
  r->cpus = sqlite3_column_int(st, 3);
  r->memory_mb = sqlite3_column_int(st, 4);
  r->accel = col_str(st, 5);
  r->accel_requested = col_str(st, 6);
  r->accel_note = col_str(st, 7);
  r->profile = col_str(st, 8);
  r->label = col_str(st, 9);
  r->spec_json = col_str(st, 10);
  r->created_us = col_int(st, 11, 0);
  r->started_us = col_int(st, 12, 0);
  r->finished_us = col_int(st, 13, 0);
  r->qemu_start_us = col_int(st, 14, RUN_NULL);
  r->boot_time_us = col_int(st, 15, RUN_NULL);
  r->terminal_marker = col_str(st, 16);
  r->guest_cpus_online = (int)col_int(st, 17, RUN_NULL);
  const unsigned char *missing = sqlite3_column_text(st, 18);
  r->missing = missing ? json_loads((const char *)missing, 0, NULL) : NULL;
  r->error_code = col_str(st, 19);
  r->error_message = col_str(st, 20);
  r->exit_code = (int)col_int(st, 21, RUN_NULL);
  r->exit_signal = (int)col_int(st, 22, RUN_NULL);
  r->serial_path = col_str(st, 23);
  r->serial_bytes = col_int(st, 24, 0);
  r->seq = col_int(st, 25, 0);
  r->matrix_id = col_str(st, 26);
  r->matrix_index = (int)col_int(st, 27, RUN_NULL);
  r->serial_logged = col_int(st, 28, RUN_NULL);
  r->host_json = col_str(st, 29);
  r->slurm_job = col_str(st, 30);
}

static int read_markers(struct store *s, struct run *r) {
  _cleanup_stmt_ sqlite3_stmt *st = store_stmt(s, ST_MARKERS);
  bind_text(st, 1, r->id);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    const unsigned char *text = sqlite3_column_text(st, 3);
    int err =
        run_add_marker(r, (const char *)sqlite3_column_text(st, 0), sqlite3_column_int64(st, 1),
                       (const char *)sqlite3_column_text(st, 2), (const char *)text);
    if (err < 0)
      return err;
    r->markers[r->n_markers - 1].instructions = col_int(st, 4, RUN_NULL);
  }
  return rc == SQLITE_DONE ? 0 : sqlite_errno(rc);
}

int store_run_get(struct store *s, const char *id, struct run *out) {
  run_init(out);
  _cleanup_stmt_ sqlite3_stmt *st = store_stmt(s, ST_RUN_GET);
  bind_text(st, 1, id);
  int rc = sqlite3_step(st);
  if (rc != SQLITE_ROW)
    return rc == SQLITE_DONE ? -ENOENT : sqlite_errno(rc);
  read_row(st, out);
  return read_markers(s, out);
}

int store_runs_list(struct store *s, int limit, int64_t cursor,
                    const struct store_runs_filter *filter, json_t **out, int64_t *next) {
  _cleanup_stmt_ sqlite3_stmt *st = store_stmt(s, ST_RUNS_LIST);
  sqlite3_bind_int64(st, 1, cursor > 0 ? cursor : INT64_MAX);
  bind_text(st, 2, filter ? filter->status : NULL);
  bind_text(st, 3, filter ? filter->profile : NULL);
  bind_text(st, 4, filter ? filter->label : NULL);
  /* One row more than asked tells whether another page exists. */
  sqlite3_bind_int(st, 5, limit + 1);
  json_auto_t *arr = json_array();
  int rc, n = 0;
  *next = 0;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    struct run r;
    read_row(st, &r);
    if (n++ == limit) {
      run_clear(&r);
      break;
    }
    *next = r.seq;
    json_t *j = run_to_json(&r, NULL);
    json_object_del(j, "markers");
    json_array_append_new(arr, j);
    run_clear(&r);
  }
  if (n <= limit)
    *next = 0;
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return sqlite_errno(rc);
  *out = json_incref(arr);
  return 0;
}

int store_matrix_insert(struct store *s, const char *id, const char *request_json,
                        const char *isolation, int parallel, int total, int64_t created_us) {
  _cleanup_stmt_ sqlite3_stmt *st = store_stmt(s, ST_MATRIX_INSERT);
  bind_text(st, 1, id);
  bind_text(st, 2, request_json);
  bind_text(st, 3, isolation);
  sqlite3_bind_int(st, 4, parallel);
  sqlite3_bind_int(st, 5, total);
  sqlite3_bind_int64(st, 6, created_us);
  return store_step_done(st);
}

int store_matrix_finish(struct store *s, const char *id, const char *status, int64_t finished_us) {
  _cleanup_stmt_ sqlite3_stmt *st = store_stmt(s, ST_MATRIX_FINISH);
  bind_text(st, 1, id);
  bind_text(st, 2, status);
  sqlite3_bind_int64(st, 3, finished_us);
  return store_step_done(st);
}

static json_t *wall_json(sqlite3_stmt *st, int i) {
  if (sqlite3_column_type(st, i) == SQLITE_NULL)
    return json_null();
  char buf[40];
  util_rfc3339(sqlite3_column_int64(st, i), buf, sizeof buf);
  return json_string(buf);
}

/* A row of ST_MATRIX_GET or ST_MATRICES_LIST as JSON. */
static json_t *matrix_row_json(sqlite3_stmt *st) {
  json_t *request = json_loads((const char *)sqlite3_column_text(st, 2), 0, NULL);
  return json_pack(
      "{s:s, s:s, s:o, s:s, s:i, s:i, s:o, s:o}", "id", (const char *)sqlite3_column_text(st, 0),
      "status", (const char *)sqlite3_column_text(st, 1), "request",
      request ? request : json_null(), "isolation", (const char *)sqlite3_column_text(st, 3),
      "parallel", sqlite3_column_int(st, 4), "total", sqlite3_column_int(st, 5), "created_at",
      wall_json(st, 6), "finished_at", wall_json(st, 7));
}

int store_matrix_get(struct store *s, const char *id, json_t **out) {
  _cleanup_stmt_ sqlite3_stmt *st = store_stmt(s, ST_MATRIX_GET);
  bind_text(st, 1, id);
  int rc = sqlite3_step(st);
  if (rc != SQLITE_ROW)
    return rc == SQLITE_DONE ? -ENOENT : sqlite_errno(rc);
  *out = matrix_row_json(st);
  return *out ? 0 : -ENOMEM;
}

int store_matrices_list(struct store *s, int limit, json_t **out) {
  _cleanup_stmt_ sqlite3_stmt *st = store_stmt(s, ST_MATRICES_LIST);
  sqlite3_bind_int(st, 1, limit);
  json_auto_t *arr = json_array();
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    json_t *m = matrix_row_json(st);
    json_object_set_new(m, "done", json_integer(sqlite3_column_int(st, 8)));
    json_array_append_new(arr, m);
  }
  if (rc != SQLITE_DONE)
    return sqlite_errno(rc);
  *out = json_incref(arr);
  return 0;
}

/* The ids first, then each run: store_run_get takes statements of its own while this one would be
 * open. */
static int matrix_run_ids(struct store *s, const char *id, json_t *ids) {
  _cleanup_stmt_ sqlite3_stmt *st = store_stmt(s, ST_MATRIX_RUNS);
  bind_text(st, 1, id);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW)
    json_array_append_new(ids, json_string((const char *)sqlite3_column_text(st, 0)));
  return rc == SQLITE_DONE ? 0 : sqlite_errno(rc);
}

int store_matrix_runs(struct store *s, const char *id, json_t **out) {
  json_auto_t *ids = json_array(), *runs = json_array();
  int r = matrix_run_ids(s, id, ids);
  if (r < 0)
    return r;
  size_t i;
  json_t *v;
  json_array_foreach(ids, i, v) {
    struct run run;
    if (store_run_get(s, json_string_value(v), &run) == 0)
      json_array_append_new(runs, run_to_json(&run, NULL));
    run_clear(&run);
  }
  *out = json_incref(runs);
  return 0;
}

int store_image_put(struct store *s, const char *id, const char *sha256, const char *path,
                    const char *kind, const char *info_json, int64_t created_us,
                    char out_id[UTIL_ID_LEN + 1]) {
  _cleanup_stmt_ sqlite3_stmt *st = store_stmt(s, ST_IMAGE_PUT);
  bind_text(st, 1, id);
  bind_text(st, 2, sha256);
  bind_text(st, 3, path);
  bind_text(st, 4, kind);
  bind_text(st, 5, info_json);
  sqlite3_bind_int64(st, 6, created_us);
  int rc = sqlite3_step(st);
  if (rc != SQLITE_ROW)
    return sqlite_errno(rc);
  snprintf(out_id, UTIL_ID_LEN + 1, "%s", (const char *)sqlite3_column_text(st, 0));
  return 0;
}

static json_t *image_row(sqlite3_stmt *st) {
  json_t *info = json_loads((const char *)sqlite3_column_text(st, 3), 0, NULL);
  json_t *j = json_is_object(info) ? info : json_object();
  json_object_set_new(j, "id", json_string((const char *)sqlite3_column_text(st, 0)));
  json_object_set_new(j, "path", json_string((const char *)sqlite3_column_text(st, 1)));
  json_object_set_new(j, "kind", json_string((const char *)sqlite3_column_text(st, 2)));
  json_object_set_new(j, "registered_at", wall_json(st, 4));
  return j;
}

int store_image_get(struct store *s, const char *id, json_t **out) {
  _cleanup_stmt_ sqlite3_stmt *st = store_stmt(s, ST_IMAGE_GET);
  bind_text(st, 1, id);
  int rc = sqlite3_step(st);
  if (rc != SQLITE_ROW)
    return rc == SQLITE_DONE ? -ENOENT : sqlite_errno(rc);
  *out = image_row(st);
  return 0;
}

int store_images_list(struct store *s, json_t **out) {
  _cleanup_stmt_ sqlite3_stmt *st = store_stmt(s, ST_IMAGE_LIST);
  json_auto_t *images = json_array();
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW)
    json_array_append_new(images, image_row(st));
  if (rc != SQLITE_DONE)
    return sqlite_errno(rc);
  *out = json_incref(images);
  return 0;
}

int store_image_delete(struct store *s, const char *id) {
  _cleanup_stmt_ sqlite3_stmt *st = store_stmt(s, ST_IMAGE_DELETE);
  bind_text(st, 1, id);
  int r = store_step_done(st);
  if (r < 0)
    return r;
  return sqlite3_changes(s->db) > 0 ? 0 : -ENOENT;
}

int store_memory_insert(struct store *s, const char *run_id, int64_t t_us,
                        const struct procstat_sample *sample) {
  const struct procstat *ps = &sample->proc;
  json_auto_t *vcpus = json_array();
  for (size_t i = 0; i < sample->n_vcpus; i++)
    json_array_append_new(vcpus, json_integer(sample->vcpu_ms[i]));
  _cleanup_(util_freep) char *vcpu_json = sample->n_vcpus ? json_dumps(vcpus, JSON_COMPACT) : NULL;
  _cleanup_stmt_ sqlite3_stmt *st = store_stmt(s, ST_MEMORY_INSERT);
  bind_text(st, 1, run_id);
  sqlite3_bind_int64(st, 2, t_us);
  sqlite3_bind_int64(st, 3, ps->rss_kb);
  sqlite3_bind_int64(st, 4, ps->minflt);
  sqlite3_bind_int64(st, 5, ps->majflt);
  sqlite3_bind_int64(st, 6, ps->utime_ms);
  sqlite3_bind_int64(st, 7, ps->stime_ms);
  bind_text(st, 8, vcpu_json);
  bind_int(st, 9, sample->guest_ram_mb, -1);
  bind_int(st, 10, sample->guest_mapped_kb, -1);
  bind_int(st, 11, sample->info_mem_us, -1);
  return store_step_done(st);
}

static json_t *memory_row(sqlite3_stmt *st) {
  json_t *sample =
      json_pack("{s:f, s:I, s:I, s:I, s:I, s:I}", "t_ms",
                (double)sqlite3_column_int64(st, 0) / 1000.0, "rss_kb", sqlite3_column_int64(st, 1),
                "minflt", sqlite3_column_int64(st, 2), "majflt", sqlite3_column_int64(st, 3),
                "utime_ms", sqlite3_column_int64(st, 4), "stime_ms", sqlite3_column_int64(st, 5));
  const unsigned char *vcpus = sqlite3_column_text(st, 6);
  json_t *v = vcpus ? json_loads((const char *)vcpus, 0, NULL) : NULL;
  json_object_set_new(sample, "vcpu_cpu_ms", v ? v : json_null());
  static const char *const opt[] = {"guest_ram_mb", "guest_mapped_kb", "info_mem_us"};
  for (int k = 0; k < 3; k++)
    json_object_set_new(sample, opt[k],
                        sqlite3_column_type(st, 7 + k) == SQLITE_NULL
                            ? json_null()
                            : json_integer(sqlite3_column_int64(st, 7 + k)));
  return sample;
}

int store_memory_list(struct store *s, const char *run_id, json_t **out) {
  _cleanup_stmt_ sqlite3_stmt *st = store_stmt(s, ST_MEMORY_LIST);
  bind_text(st, 1, run_id);
  json_auto_t *samples = json_array();
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW)
    json_array_append_new(samples, memory_row(st));
  if (rc != SQLITE_DONE)
    return sqlite_errno(rc);
  *out = json_incref(samples);
  return 0;
}

/* One recovery UPDATE with now_us as its only parameter; the rows changed or -errno. */
static int update_at(struct store *s, enum store_stmt id, int64_t now_us) {
  _cleanup_stmt_ sqlite3_stmt *st = store_stmt(s, id);
  sqlite3_bind_int64(st, 1, now_us);
  int r = store_step_done(st);
  return r < 0 ? r : sqlite3_changes(s->db);
}

/* Runs, matrices, installs and traces change together or not at all: a recovery cut short must not
 * leave runs interrupted under a matrix still "running" that nothing will ever finish. */
int store_mark_interrupted(struct store *s, int64_t now_us) {
  s->runs_generation++;
  int r = store_begin(s);
  if (r < 0)
    return r;
  int n = update_at(s, ST_RUNS_INTERRUPT, now_us);
  r = n < 0 ? n : update_at(s, ST_MATRICES_INTERRUPT, now_us);
  if (r >= 0)
    r = store_docs_interrupt(s);
  r = store_end(s, r);
  return r < 0 ? r : n;
}

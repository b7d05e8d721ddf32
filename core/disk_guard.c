#include "core/disk_guard.h"

#include <errno.h>
#include <fcntl.h>
#include <fts.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "lib/util.h"

/* Enough for SQLite to record the end of every running boot (a few pages each,
 * in the WAL). */
#define RESERVE_BYTES (1 << 20)
#define RESERVE_NAME "reserve"
/* A measure older than this is renewed when someone looks at it. */
#define STALE_US (10 * 1000 * 1000)
/* While refusing for the quota, measure again at most this often. */
#define RETRY_US (1000 * 1000)

struct disk_guard {
  uv_loop_t *loop;
  char *state_dir, *reserve_path;
  int64_t quota, min_free;
  int64_t used, measured_us; /* the last measure and when it was taken */
  bool reserve_held;
  bool measuring;
  uv_work_t work;
  int64_t walk_result; /* written by the worker, read after it */
};

/* Bytes allocated to everything under dir but the reserve (st_blocks, so sparse files count as
 * stored), not crossing mounts. */
static int64_t measure(const char *dir) {
  char *paths[] = {(char *)dir, NULL};
  FTS *fts = fts_open(paths, FTS_PHYSICAL | FTS_NOCHDIR | FTS_XDEV, NULL);
  if (!fts)
    return -errno;
  int64_t total = 0;
  FTSENT *e;
  while ((e = fts_read(fts)))
    if (e->fts_info != FTS_DP && e->fts_info != FTS_DNR && e->fts_info != FTS_NS && e->fts_statp &&
        !(e->fts_level == 1 && strcmp(e->fts_name, RESERVE_NAME) == 0))
      total += (int64_t)e->fts_statp->st_blocks * 512;
  fts_close(fts);
  return total;
}

static void walk(uv_work_t *w) {
  struct disk_guard *g = w->data;
  g->walk_result = measure(g->state_dir);
}

static void walked(uv_work_t *w, int status) {
  struct disk_guard *g = w->data;
  g->measuring = false;
  if (status == 0 && g->walk_result >= 0) {
    g->used = g->walk_result;
    g->measured_us = util_mono_us();
  }
}

static void measure_later(struct disk_guard *g, int64_t older_than_us) {
  if (g->measuring || util_mono_us() - g->measured_us < older_than_us)
    return;
  g->measuring = true;
  g->work.data = g;
  if (uv_queue_work(g->loop, &g->work, walk, walked) < 0)
    g->measuring = false;
}

static int64_t free_bytes(const struct disk_guard *g) {
  struct statvfs st;
  if (statvfs(g->state_dir, &st) < 0)
    return -errno;
  return (int64_t)st.f_bavail * (int64_t)st.f_frsize;
}

/* Allocated for real (posix_fallocate), so that unlinking it gives the blocks
 * back. */
static void take_reserve(struct disk_guard *g) {
  int fd = open(g->reserve_path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  int r = fd < 0 ? errno : posix_fallocate(fd, 0, RESERVE_BYTES);
  if (fd >= 0)
    close(fd);
  g->reserve_held = r == 0;
  if (r != 0) {
    unlink(g->reserve_path);
    fprintf(stderr, "minix-analysisd: cannot set aside %d bytes in %s: %s\n", RESERVE_BYTES,
            g->reserve_path, strerror(r));
  }
}

struct disk_guard *disk_guard_new(uv_loop_t *loop, const char *state_dir, int64_t quota_bytes,
                                  int64_t min_free_bytes) {
  struct disk_guard *g = calloc(1, sizeof *g);
  if (!g)
    return NULL;
  *g = (struct disk_guard){.loop = loop,
                           .state_dir = strdup(state_dir),
                           .quota = quota_bytes,
                           .min_free = min_free_bytes,
                           .reserve_path = util_strdupf("%s/" RESERVE_NAME, state_dir)};
  if (!g->state_dir || !g->reserve_path) {
    disk_guard_free(g);
    return NULL;
  }
  take_reserve(g);
  int64_t used = measure(state_dir);
  g->used = used > 0 ? used : 0;
  g->measured_us = util_mono_us();
  return g;
}

void disk_guard_free(struct disk_guard *g) {
  if (!g)
    return;
  while (g->measuring) /* a walk in the thread pool still writes into g when it ends */
    uv_run(g->loop, UV_RUN_ONCE);
  free(g->state_dir);
  free(g->reserve_path);
  free(g);
}

int disk_guard_admit(struct disk_guard *g) {
  int64_t avail = free_bytes(g);
  if (avail < 0)
    return (int)avail;
  /* Won back only with room to spare, so that work is not admitted into a disk
   * that has just filled. */
  if (!g->reserve_held && avail >= g->min_free + RESERVE_BYTES) {
    take_reserve(g);
    avail -= RESERVE_BYTES;
  }
  if (!g->reserve_held || avail < g->min_free)
    return -ENOSPC;
  if (g->quota && g->used >= g->quota) {
    measure_later(g, RETRY_US);
    return -EDQUOT;
  }
  measure_later(g, STALE_US);
  return 0;
}

void disk_guard_ran_out(struct disk_guard *g) {
  if (!g->reserve_held)
    return;
  unlink(g->reserve_path);
  g->reserve_held = false;
  fprintf(stderr, "minix-analysisd: the state dir's disk is full; released the "
                  "reserve, refusing new work\n");
}

void disk_guard_usage(struct disk_guard *g, struct disk_usage *out) {
  measure_later(g, STALE_US);
  int64_t avail = free_bytes(g);
  *out = (struct disk_usage){.state_dir_bytes = g->used,
                             .measured_ms_ago = (util_mono_us() - g->measured_us) / 1000,
                             .quota_bytes = g->quota,
                             .free_bytes = avail >= 0 ? avail : -1,
                             .min_free_bytes = g->min_free,
                             .reserve_held = g->reserve_held};
}

json_t *disk_guard_json(struct disk_guard *g) {
  struct disk_usage u;
  disk_guard_usage(g, &u);
  return json_pack("{s:I, s:I, s:o, s:o, s:I, s:b}", "state_dir_bytes",
                   (json_int_t)u.state_dir_bytes, "measured_ms_ago", (json_int_t)u.measured_ms_ago,
                   "quota_bytes", u.quota_bytes ? json_integer(u.quota_bytes) : json_null(),
                   "free_bytes", u.free_bytes >= 0 ? json_integer(u.free_bytes) : json_null(),
                   "min_free_bytes", (json_int_t)u.min_free_bytes, "reserve_held", u.reserve_held);
}

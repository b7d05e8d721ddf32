/* The Slurm spool: a directory the daemon and the nodes share. One directory per matrix holds, for
 * its task K, task-K.json (the boot request, written by the daemon), then serial-K.log and
 * result-K.json (the console log and the run object, written by the task on its node, the result
 * last: its presence means the task's results are complete). Every file is written to a temporary
 * name and renamed, so a reader never sees half a file. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

enum spool_file { SPOOL_TASK, SPOOL_SERIAL, SPOOL_RESULT };

/* DIR/task-K.json, DIR/serial-K.log or DIR/result-K.json (malloc'd; NULL when out of memory). */
char *spool_path(const char *dir, enum spool_file which, long k);
/* Writes len bytes to path through a temporary file in the same directory, then renamed over path
 * (mode 0640); durable: fsync'd before the rename (a task's results, which outlive the node's
 * crash), else not (the daemon's own copies: the store's commit is what counts). Returns 0 or
 * -errno. */
int spool_write_atomic(const char *path, const void *data, size_t len, bool durable);
/* Copies the file from to path the same way. Returns 0 or -errno. */
int spool_copy_atomic(const char *from, const char *path, bool durable);
/* rm -r of a directory this program made (symbolic links are removed, never followed). Returns 0
 * or -errno. */
int spool_remove_tree(const char *path);

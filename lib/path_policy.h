/* Which files a daemon may open for a request (--image-dir): the real path
 * (symlinks resolved) must lie inside one of the allowed directories. The
 * in-process CLI has no policy: it acts with its user's own rights. */
#pragma once
#include <stdbool.h>

#include "lib/error.h"

/* NULL-terminated list of allowed directories (absolute, resolved), or NULL for no policy. */
typedef const char *const *path_policy;

/* true when path (absolute) resolves inside an allowed directory, or when there is no policy. */
bool path_policy_allows(path_policy dirs, const char *path);
/* A file a request names, judged without opening it (a FIFO would block its opener): absolute (400
 * path_not_absolute), allowed (403 path_not_allowed), there and readable (400 file_not_found), a
 * regular file (400 not_a_file). 0, or -EINVAL with err naming field. */
int path_policy_check_file(path_policy dirs, const char *path, const char *field,
                           struct ma_error *err);
/* true when path resolves to real_target (a resolved path) or to something below it. */
bool path_policy_within(const char *path, const char *real_target);

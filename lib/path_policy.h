/* Which files a daemon may open for a request (--image-dir): the real path
 * (symlinks resolved) must lie inside one of the allowed directories. The
 * in-process CLI has no policy: it acts with its user's own rights. */
#pragma once
#include <stdbool.h>

/* NULL-terminated list of allowed directories (absolute, resolved), or NULL for no policy. */
typedef const char *const *path_policy;

/* true when path (absolute) resolves inside an allowed directory, or when there is no policy. */
bool path_policy_allows(path_policy dirs, const char *path);

#include "lib/path_policy.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The real path of path, or for a file that does not exist, its real directory plus its name: a missing
 * kernel inside an allowed directory is then told "not found", not "not allowed". */
static bool resolve(const char *path, char real[PATH_MAX]) {
  if (realpath(path, real)) /* also resolves ".." and every symlink on the way */
    return true;
  if (errno != ENOENT)
    return false;
  const char *slash = strrchr(path, '/');
  const char *name = slash ? slash + 1 : path;
  if (!slash || !*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
    return false;
  char dir[PATH_MAX], real_dir[PATH_MAX];
  int n = snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
  if (n < 0 || (size_t)n >= sizeof dir || !realpath(n ? dir : "/", real_dir))
    return false;
  n = snprintf(real, PATH_MAX, "%s/%s", strcmp(real_dir, "/") == 0 ? "" : real_dir, name);
  return n > 0 && n < PATH_MAX;
}

bool path_policy_allows(path_policy dirs, const char *path) {
  if (!dirs)
    return true;
  char real[PATH_MAX];
  if (!resolve(path, real))
    return false;
  for (; *dirs; dirs++) {
    size_t n = strlen(*dirs);
    if (strncmp(real, *dirs, n) == 0 && (real[n] == '/' || (n == 1 && (*dirs)[0] == '/')))
      return true;
  }
  return false;
}

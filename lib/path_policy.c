#include "lib/path_policy.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The real path of path, or for a file that does not exist, its real directory plus its name: a
 * missing kernel inside an allowed directory is then told "not found", not "not allowed". */
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

int path_policy_check_file(path_policy dirs, const char *path, const char *field,
                           struct ma_error *err) {
  struct stat st;
  if (path[0] != '/') {
    ma_error_set(err, EINVAL, "path_not_absolute", field, "%s must be an absolute path, got \"%s\"",
                 field, path);
    return -EINVAL;
  }
  if (!path_policy_allows(dirs, path)) {
    ma_error_set(err, EACCES, "path_not_allowed", field,
                 "%s: %s is not inside a directory this daemon serves images from (its state dir's "
                 "images/ or an "
                 "--image-dir)",
                 field, path);
    return -EINVAL;
  }
  /* stat and access, never open: opening a FIFO blocks until a writer comes. */
  if (stat(path, &st) < 0 || access(path, R_OK) < 0) {
    ma_error_set(err, EINVAL, "file_not_found", field, "%s: cannot read %s: %s", field, path,
                 strerror(errno));
    return -EINVAL;
  }
  if (!S_ISREG(st.st_mode)) {
    ma_error_set(err, EINVAL, "not_a_file", field, "%s: %s is not a regular file", field, path);
    return -EINVAL;
  }
  return 0;
}

bool path_policy_within(const char *path, const char *real_target) {
  char real[PATH_MAX];
  if (!path || !realpath(path, real))
    return false;
  size_t n = strlen(real_target);
  return strncmp(real, real_target, n) == 0 && (real[n] == '\0' || real[n] == '/');
}

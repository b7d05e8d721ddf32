#include "lib/path_policy.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

bool path_policy_allows(path_policy dirs, const char *path) {
  if (!dirs)
    return true;
  char real[PATH_MAX];
  if (!realpath(path, real)) /* also resolves ".." and every symlink on the way */
    return false;
  for (; *dirs; dirs++) {
    size_t n = strlen(*dirs);
    if (strncmp(real, *dirs, n) == 0 && (real[n] == '/' || (n == 1 && (*dirs)[0] == '/')))
      return true;
  }
  return false;
}

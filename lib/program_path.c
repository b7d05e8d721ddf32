#include "lib/program_path.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int program_path(const char *name, const char *installed_dir, char out[PATH_MAX]) {
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n > 0) {
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    if (slash && snprintf(out, PATH_MAX, "%.*s/%s", (int)(slash - self), self, name) < PATH_MAX &&
        access(out, X_OK) == 0)
      return 0;
  }
  snprintf(out, PATH_MAX, "%s/%s", installed_dir, name);
  return access(out, X_OK) == 0 ? 0 : -ENOENT;
}

#include "lib/program_path.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* dir_len bytes of dir, a slash and name into out; false when that does not fit. One snprintf for
 * both paths: GCC 12 with -fsanitize=address,undefined -O2 saw a null destination in the second of
 * two
 * (-Wformat-truncation, a false positive that broke the -Werror sanitizer build). */
static int join(char out[PATH_MAX], const char *dir, int dir_len, const char *name) {
  int n = snprintf(out, PATH_MAX, "%.*s/%s", dir_len, dir, name);
  return n >= 0 && n < PATH_MAX;
}

int program_path(const char *name, const char *installed_dir, char out[PATH_MAX]) {
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n > 0) {
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    if (slash && join(out, self, (int)(slash - self), name) && access(out, X_OK) == 0)
      return 0;
  }
  join(out, installed_dir, (int)strlen(installed_dir), name);
  return access(out, X_OK) == 0 ? 0 : -ENOENT;
}

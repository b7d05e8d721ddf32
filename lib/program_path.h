/* Where a sibling program of this one lives: beside the running binary (a build tree, where the
 * three programs are built side by side) or where meson installs it. */
#pragma once
#include <limits.h>

/* Fills out with DIR/name for the directory of /proc/self/exe when that file is executable, else
 * with installed_dir/name when that is. Returns 0, or -ENOENT (out then holds the installed path).
 */
int program_path(const char *name, const char *installed_dir, char out[PATH_MAX]);

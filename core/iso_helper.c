#include "core/iso_helper.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "lib/program_path.h"
#include "lib/util.h"

#define HELPER "minix-analysis-iso"
#define ANSWER_MAX (1 << 20)

extern char **environ;

/* $MINIX_ANALYSIS_ISO_READER (tests give a reader that crashes), beside the running binary (a build
 * tree), then where meson installs it. */
static int helper_path(char out[PATH_MAX]) {
  const char *forced = getenv("MINIX_ANALYSIS_ISO_READER");
  if (forced && *forced)
    return snprintf(out, PATH_MAX, "%s", forced) < PATH_MAX && access(out, X_OK) == 0 ? 0 : -ENOENT;
  return program_path(HELPER, MA_LIBEXECDIR, out);
}

/* Runs the reader with argv (argv[0] filled in here) and returns its JSON answer, or -errno with
 * err set. */
static int ask(char **argv, json_t **answer, struct ma_error *err) {
  char path[PATH_MAX];
  if (helper_path(path) < 0) {
    ma_error_set(err, EIO, "iso_reader_missing", NULL,
                 "%s is not installed beside this program nor in %s", HELPER, MA_LIBEXECDIR);
    return -ENOENT;
  }
  argv[0] = path;
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) < 0) {
    ma_error_set(err, EIO, "internal_error", NULL, "pipe: %s", strerror(errno));
    return -errno;
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
  pid_t pid;
  int r = posix_spawn(&pid, path, &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  close(fds[1]);
  if (r != 0) {
    close(fds[0]);
    ma_error_set(err, EIO, "iso_reader_failed", NULL, "cannot run %s: %s", path, strerror(r));
    return -r;
  }
  struct util_buf out = {0};
  char chunk[4096];
  ssize_t n;
  while ((n = read(fds[0], chunk, sizeof chunk)) > 0 || (n < 0 && errno == EINTR))
    if (n > 0 && out.len < ANSWER_MAX)
      util_buf_append(&out, chunk, (size_t)n);
  close(fds[0]);
  int status;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
    ;
  *answer = out.data ? json_loadb(out.data, out.len, 0, NULL) : NULL;
  util_buf_clear(&out);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && json_is_object(*answer))
    return 0;
  json_decref(*answer);
  *answer = NULL;
  /* A reader killed by the image it read: the image is at fault, and the daemon was never at risk.
   */
  if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
    ma_error_set(err, EINVAL, "iso_reader_crashed", "iso",
                 "the ISO reader took over %d s on this image and was stopped", ISO_READER_MAX_S);
  else if (WIFSIGNALED(status))
    ma_error_set(err, EINVAL, "iso_reader_crashed", "iso",
                 "the ISO reader died of signal %d reading this image", WTERMSIG(status));
  else
    ma_error_set(err, EIO, "iso_reader_failed", NULL, "the ISO reader exited %d without an answer",
                 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  return -EIO;
}

/* {"error": {...}} from the reader becomes err; otherwise *out gets the member named key. */
static int take(json_t *answer, const char *key, json_t **out, struct ma_error *err) {
  json_t *e = json_object_get(answer, "error");
  if (e) {
    json_int_t errnum = json_integer_value(json_object_get(e, "errnum"));
    const char *code = json_string_value(json_object_get(e, "code"));
    const char *message = json_string_value(json_object_get(e, "message"));
    ma_error_set(err, errnum > 0 && errnum < 4096 ? (int)errnum : EIO,
                 code ? code : "iso_reader_failed", json_string_value(json_object_get(e, "field")),
                 "%s", message ? message : "");
    json_decref(answer);
    return -EINVAL;
  }
  *out = json_incref(json_object_get(answer, key));
  json_decref(answer);
  if (*out)
    return 0;
  ma_error_set(err, EIO, "iso_reader_failed", NULL, "the ISO reader's answer has no %s", key);
  return -EIO;
}

int iso_helper_inspect(const char *iso, const char *sha256, json_t **image, struct ma_error *err) {
  char *argv[] = {NULL, "inspect", (char *)iso, (char *)sha256, NULL};
  json_t *answer;
  int r = ask(argv, &answer, err);
  return r < 0 ? r : take(answer, "image", image, err);
}

int iso_helper_extract(const char *iso, const char *kernel, json_t *modules, const char *dir,
                       json_t **files, struct ma_error *err) {
  size_t n = json_array_size(modules);
  char **argv = calloc(n + 6, sizeof *argv);
  if (!argv)
    return -ENOMEM;
  argv[1] = "extract";
  argv[2] = (char *)iso;
  argv[3] = (char *)dir;
  argv[4] = (char *)kernel;
  for (size_t i = 0; i < n; i++)
    argv[5 + i] = (char *)json_string_value(json_array_get(modules, i));
  json_t *answer;
  int r = ask(argv, &answer, err);
  free(argv);
  return r < 0 ? r : take(answer, "files", files, err);
}

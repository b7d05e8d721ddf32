/* minix-analysis-iso: reads MINIX ISOs for the daemon and the CLI, in a process of its own, so that
 * libarchive parsing an untrusted image can crash or misbehave without taking the daemon with it
 * (and the daemon does not carry libarchive and its libraries while idle).
 * usage: minix-analysis-iso inspect ISO [SHA256]
 *        minix-analysis-iso extract ISO DIR KERNEL [MODULE...]
 * Prints one JSON object: {"image": ...} or {"files": [...]}, or {"error": {status, code, field,
 * message}}; exits 0 unless it could not say either. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "lib/iso.h"

static int answer(json_t *out) {
  int r = json_dumpf(out, stdout, JSON_COMPACT) == 0 && fputc('\n', stdout) != EOF &&
                  fflush(stdout) == 0
              ? 0
              : 1;
  json_decref(out);
  return r;
}

static int failed(const struct ma_error *err) {
  return answer(json_pack("{s:{s:i, s:s, s:s?, s:s}}", "error", "errnum", err->errnum, "code",
                          err->code, "field", err->field[0] ? err->field : NULL, "message",
                          err->message));
}

int main(int argc, char **argv) {
  /* Not outliving the daemon that asked: a killed daemon leaves no reader behind. */
  pid_t parent = getppid();
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
    return 1;
  /* An image that makes the reader loop must not hold the asking thread for ever: SIGALRM ends it.
   */
  alarm(ISO_READER_MAX_S);
  struct ma_error err = {0};
  if (argc >= 3 && argc <= 4 && strcmp(argv[1], "inspect") == 0) {
    struct iso_image *img = NULL;
    int r = iso_inspect(argv[2], argc == 4 ? argv[3] : NULL, &img, &err);
    r = r < 0 ? failed(&err) : answer(json_pack("{s:o}", "image", iso_image_json(img)));
    iso_image_free(img);
    return r;
  }
  if (argc >= 5 && strcmp(argv[1], "extract") == 0) {
    struct iso_image img = {.kernel = argv[4], .modules = json_array()};
    for (int i = 5; i < argc; i++)
      json_array_append_new(img.modules, json_string(argv[i]));
    json_t *files = NULL;
    int r = iso_extract(argv[2], &img, argv[3], &files, &err);
    json_decref(img.modules);
    return r < 0 ? failed(&err) : answer(json_pack("{s:o}", "files", files));
  }
  fprintf(stderr,
          "usage: minix-analysis-iso inspect ISO [SHA256] | extract ISO DIR KERNEL [MODULE...]\n");
  return 2;
}

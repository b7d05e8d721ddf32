/* Detector throughput: scans a console log with a shipped profile the way a
 * run does (one read at a time, 64 KiB reads) and prints MB/s.
 * usage: detector_bench PROFILE LOG */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/detector.h"
#include "lib/util.h"

static long lines;

static void count(void *userdata, const struct detector_event *ev) {
  (void)userdata;
  lines += ev->kind == DETECTOR_LINE;
}

int main(int argc, char **argv) {
  if (argc != 3)
    return 2;
  char *err = NULL;
  struct profile_set *set = profile_set_new(&err);
  const struct profile *p = set ? profile_set_find(set, argv[1]) : NULL;
  FILE *f = fopen(argv[2], "rb");
  if (!p || !f)
    return 2;
  struct detector *d = detector_new(p, NULL, count, NULL, &err);
  static char buf[65536];
  size_t n, total = 0;
  int64_t t0 = util_mono_us();
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
    detector_feed(d, buf, n, util_mono_us() - t0);
    total += n;
  }
  detector_flush(d, util_mono_us() - t0);
  double s = (double)(util_mono_us() - t0) / 1e6;
  printf("%.3f %.1f %ld\n", s, (double)total / 1e6 / s, lines);
  detector_free(d);
  profile_set_free(set);
  fclose(f);
  return 0;
}

/* Boot and matrix requests from command-line options: the same JSON bodies
 * the REST API takes, so both are validated by one validator. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "programs/cli/cli.h"

static void set_str(json_t *req, const char *key, const char *v) {
  json_object_set_new(req, key, json_string(v));
}

static int set_int(json_t *req, const char *key, const char *v) {
  char *end;
  long n = strtol(v, &end, 10);
  if (*v == '\0' || *end != '\0') {
    fprintf(stderr, "minix-analysis: %s wants an integer, got %s\n", key, v);
    return -1;
  }
  json_object_set_new(req, key, json_integer(n));
  return 0;
}

/* "1,2,4,8" -> [1,2,4,8] */
static int set_list(json_t *req, const char *key, const char *v) {
  json_t *arr = json_array();
  _cleanup_(util_freep) char *copy = strdup(v);
  char *save = NULL;
  for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
    char *end;
    long n = strtol(t, &end, 10);
    if (*end != '\0') {
      fprintf(stderr, "minix-analysis: --%s wants integers separated by commas, got %s\n", key, v);
      json_decref(arr);
      return -1;
    }
    json_array_append_new(arr, json_integer(n));
  }
  json_object_set_new(req, key, arr);
  return 0;
}

static const struct option boot_opts[] = {{"arch", 1, 0, 'a'},
                                          {"cpus", 1, 0, 'c'},
                                          {"memory-mb", 1, 0, 'm'},
                                          {"kernel", 1, 0, 'k'},
                                          {"initrd", 1, 0, 'i'},
                                          {"append", 1, 0, 'A'},
                                          {"iso", 1, 0, 'I'},
                                          {"disk", 1, 0, 'd'},
                                          {"profile", 1, 0, 'p'},
                                          {"until", 1, 0, 'u'},
                                          {"accel", 1, 0, 'x'},
                                          {"timeout-s", 1, 0, 't'},
                                          {"label", 1, 0, 'l'},
                                          {"silence-timeout-s", 1, 0, 's'},
                                          {"samples", 1, 0, 'n'},
                                          {"isolation", 1, 0, 'o'},
                                          {"parallel", 1, 0, 'P'},
                                          {"image", 1, 0, 'g'},
                                          {"memory-sample-ms", 1, 0, 'M'},
                                          {"duration-s", 1, 0, 'D'},
                                          {"keep-overlay", 0, 0, 'K'},
                                          {"scenario", 1, 0, 'S'},
                                          {"symbols", 0, 0, 'Y'},
                                          {"accel-stall-s", 1, 0, 'z'},
                                          {"clock", 1, 0, 'C'},
                                          {"icount-shift", 1, 0, 'H'},
                                          {0, 0, 0, 0}};

static int set_option(json_t *req, int c, bool matrix, json_t **initrd) {
  switch (c) {
  case 'a': set_str(req, "arch", optarg); return 0;
  case 'c': return matrix ? set_list(req, "cpus", optarg) : set_int(req, "cpus", optarg);
  case 'm': return set_int(req, "memory_mb", optarg);
  case 'k': set_str(req, "kernel", optarg); return 0;
  case 'i':
    if (!*initrd)
      json_object_set_new(req, "initrd", *initrd = json_array());
    json_array_append_new(*initrd, json_string(optarg));
    return 0;
  case 'A': set_str(req, "append", optarg); return 0;
  case 'I': set_str(req, "iso", optarg); return 0;
  case 'd': set_str(req, "disk", optarg); return 0;
  case 'g': set_str(req, "image", optarg); return 0;
  case 'M': return set_int(req, "memory_sample_ms", optarg);
  case 'D': return set_int(req, "duration_s", optarg);
  case 'p': set_str(req, "profile", optarg); return 0;
  case 'K': json_object_set_new(req, "keep_overlay", json_true()); return 0;
  case 'Y': json_object_set_new(req, "symbols", json_true()); return 0;
  case 'S': set_str(req, "scenario", optarg); return 0;
  case 'u': set_str(req, "until", optarg); return 0;
  case 'x': set_str(req, "accel", optarg); return 0;
  case 't': return set_int(req, "timeout_s", optarg);
  case 's': return set_int(req, "silence_timeout_s", optarg);
  case 'z': return set_int(req, "accel_stall_s", optarg);
  case 'C': set_str(req, "clock", optarg); return 0;
  case 'H': return set_int(req, "icount_shift", optarg);
  case 'l': set_str(req, "label", optarg); return 0;
  case 'n': return matrix ? set_int(req, "samples", optarg) : -1;
  case 'o': return matrix ? (set_str(req, "isolation", optarg), 0) : -1;
  case 'P': return matrix ? set_int(req, "parallel", optarg) : -1;
  default: return -1;
  }
}

int cli_parse_request(int argc, char **argv, bool matrix, json_t *req) {
  json_t *initrd = NULL;
  int c, bad = 0;
  optind = 0; /* 0, not 1: GNU getopt then forgets the "+" mode of the global options */
  while ((c = getopt_long(argc, argv, "", boot_opts, NULL)) != -1)
    bad |= set_option(req, c, matrix, &initrd);
  return bad || optind < argc ? -1 : 0;
}

#include "programs/daemon/server.h"

#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <limits.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/mcp_http.h"
#include "api/metrics.h"
#include "api/rate_limit.h"
#include "api/stream_limits.h"
#include "programs/daemon/notify.h"
#include "api/page_cache.h"
#include "api/rest.h"
#include "config.h"
#include "core/context.h"
#include "core/loop_close.h"
#include "lib/flags.h"
#include "api/http.h"
#include "lib/util.h"
#include "lib/web_origin.h"

#define PROG "minix-analysisd"

struct server_opts {
  char *listen;
  bool auth;
  double rate_limit, rate_burst;
  char *image_dirs[17];
  char *origins[17]; /* --allow-origin, NULL-terminated */
  char *hosts[17];   /* --allow-host, NULL-terminated */
  struct http_limits http;
  struct ma_options ma;
};

struct server {
  uv_loop_t *loop;
  struct ma_context ctx;
  struct api_ctx api;
  struct http_server *http;
  uv_signal_t sigterm, sigint;
  uv_timer_t flush, status;
  struct mcp_state *mcp;
  struct page_cache *pages;
  struct metrics *metrics;
  struct rate_limit *limiter;
  struct stream_limits *streams;
  bool stopping;
};

/* The Slurm executor's settings: --slurm-NAME on the command line, slurm_NAME (with _ for -) in
 * --config. */
static const struct {
  const char *flag, *key;
  size_t offset;
} slurm_settings[] = {
    {"slurm-partition", "slurm_partition", offsetof(struct slurm_config, partition)},
    {"slurm-account", "slurm_account", offsetof(struct slurm_config, account)},
    {"slurm-constraint", "slurm_constraint", offsetof(struct slurm_config, constraint)},
    {"slurm-spool", "slurm_spool", offsetof(struct slurm_config, spool)},
    {"slurm-cli", "slurm_cli", offsetof(struct slurm_config, cli)},
    {"slurm-bin-dir", "slurm_bin_dir", offsetof(struct slurm_config, bin_dir)},
};
#define N_SLURM (sizeof slurm_settings / sizeof *slurm_settings)
#define SLURM_OPT 1000 /* getopt codes SLURM_OPT + i */

static const char **slurm_setting(struct slurm_config *c, size_t i) {
  return (const char **)((char *)c + slurm_settings[i].offset);
}

static void usage(FILE *f) {
  fprintf(
      f,
      "usage: minix-analysisd [--listen HOST:PORT] [--state-dir DIR] [--config FILE]\n"
      "                       [--profile-dir DIR] [--max-running N] [--max-queued N] [--qemu-dir "
      "DIR]\n"
      "  --listen       address to serve on (default 127.0.0.1:8420; others need --auth)\n"
      "  --auth         require Authorization: Bearer TOKEN (minix-analysis token create)\n"
      "  --rate-limit   requests per second per client (its token, else its address); 429 past it\n"
      "  --image-dir    open kernels, ISOs and disks only from here (repeatable, up to 16;\n"
      "                 default: STATE-DIR/images only; --image-dir / allows any path)\n"
      "  --rate-burst   requests a client may make at once (default 2 x --rate-limit)\n"
      "  --state-dir    database, serial logs and sockets (default ./minix-analysis-data)\n"
      "  --config       JSON file with the same keys (listen, state_dir, profile_dir,\n"
      "                 max_running, max_queued, max_log_mb, max_state_mb, min_free_mb, auth,\n"
      "                 rate_limit, rate_burst, max_connections, max_streams,\n"
      "                 max_streams_per_client, max_connections_per_address, request_timeout_s,\n"
      "                 qemu_dir, kvm_device, vclock_plugin, image_dirs, allow_origins,\n"
      "                 allow_hosts); flags win\n"
      "  --max-log-mb   console kept per run in its log (default 64); the rest is counted and "
      "scanned\n"
      "  --max-state-mb new work is refused (507) while the state dir uses more (default: no "
      "quota)\n"
      "  --min-free-mb  new work is refused (507) while its filesystem has less free (default 64)\n"
      "  --max-running  boots at once (default 1: timings undisturbed by other boots)\n"
      "  --max-queued   boots waiting before POST answers 503 (default 64)\n"
      "  --allow-origin ORIGIN  a browser Origin served besides loopback and same-origin ones\n"
      "                 (repeatable, up to 16; --mcp-allow-origin is the old name)\n"
      "  --allow-host NAME  a Host name served besides IP addresses and localhost (repeatable, up "
      "to 16)\n"
      "  --max-connections  connections at once (default 256)\n"
      "  --max-connections-per-address  connections one address may hold (default 7/8 of "
      "--max-connections)\n"
      "  --max-streams  event streams at once (default: --max-connections less 64, kept for short "
      "requests)\n"
      "  --max-streams-per-client  event streams one client (token, else address) may hold "
      "(default 32)\n"
      "  --request-timeout-s  a request must arrive whole within this (default 10; trickling does "
      "not extend it)\n"
      "  --qemu-dir     QEMU's programs (qemu-system-*, qemu-img) are taken from here, found once "
      "at\n"
      "                 start, never through $PATH (default /usr/bin)\n"
      "  --kvm-device   the KVM device to open before probing KVM (default /dev/kvm)\n"
      "  --vclock-plugin PATH  the virtual clock's TCG plugin (default: minix-analysis-vclock.so\n"
      "                 beside this program, or in libexecdir; `ninja vclock-plugin` builds it)\n"
      "  --slurm-partition NAME  run matrices with \"executor\": \"slurm\" as job arrays in this "
      "partition\n"
      "  --slurm-spool DIR  a directory the daemon and the nodes share (needed with a partition)\n"
      "  --slurm-account NAME, --slurm-constraint EXPR  passed to sbatch\n"
      "  --slurm-cli PATH  the CLI on the nodes (default: the one beside this daemon)\n"
      "  --slurm-bin-dir DIR  where sbatch, squeue, scontrol and scancel are (default /usr/bin);\n"
      "                 Slurm's own settings come from the environment (SLURM_CONF)\n"
      "                 (config keys slurm_partition, slurm_spool, slurm_account, "
      "slurm_constraint,\n"
      "                 slurm_cli, slurm_bin_dir)\n");
}

/* Adds to a NULL-terminated list of at most 16 names (origins, hosts). */
static int add_name(char **list, const char *what, const char *name) {
  size_t i = 0;
  while (i < 16 && list[i])
    i++;
  if (i == 16) {
    fprintf(stderr, "minix-analysisd: more than 16 %s\n", what);
    return -1;
  }
  list[i] = strdup(name);
  return 0;
}

/* A config key holding an array of strings, each passed to add. */
static int add_config_strings(struct server_opts *o, json_t *v,
                              int (*add)(struct server_opts *, const char *)) {
  size_t i;
  json_t *item;
  if (!json_is_array(v))
    return -1;
  json_array_foreach(v, i, item) {
    if (!json_is_string(item) || add(o, json_string_value(item)) < 0)
      return -1;
  }
  return 0;
}

static int add_origin(struct server_opts *o, const char *origin) {
  struct web_origin parsed;
  if (web_origin_parse(origin, &parsed) < 0) {
    fprintf(stderr, "minix-analysisd: --allow-origin wants SCHEME://HOST[:PORT], got %s\n", origin);
    return -1;
  }
  return add_name(o->origins, "allowed origins", origin);
}

/* A bare DNS name: a port or a trailing dot could never equal a Host header's name part. */
static int add_host(struct server_opts *o, const char *host) {
  size_t n = strlen(host);
  if (n == 0 || n > 253 ||
      strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.") != n ||
      host[n - 1] == '.' || host[0] == '.') {
    fprintf(stderr,
            "minix-analysisd: --allow-host wants a DNS name without port or trailing dot, got %s\n",
            host);
    return -1;
  }
  return add_name(o->hosts, "allowed hosts", host);
}

static int add_image_dir(struct server_opts *o, const char *dir) {
  return add_name(o->image_dirs, "image directories; name a common parent instead", dir);
}

static int apply_config(const char *path, struct server_opts *o) {
  json_error_t jerr;
  json_t *cfg = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
  if (!json_is_object(cfg)) {
    fprintf(stderr, "minix-analysisd: %s: %s\n", path, cfg ? "not a JSON object" : jerr.text);
    json_decref(cfg);
    return -1;
  }
  const char *key;
  json_t *v;
  int bad = 0;
  json_object_foreach(cfg, key, v) {
    if (strcmp(key, "listen") == 0 && json_is_string(v))
      o->listen = strdup(json_string_value(v));
    else if (strcmp(key, "auth") == 0 && json_is_boolean(v))
      o->auth = json_is_true(v);
    else if (strcmp(key, "rate_limit") == 0 && json_is_number(v))
      o->rate_limit = json_number_value(v);
    else if (strcmp(key, "rate_burst") == 0 && json_is_number(v))
      o->rate_burst = json_number_value(v);
    else if (strcmp(key, "state_dir") == 0 && json_is_string(v))
      o->ma.state_dir = strdup(json_string_value(v));
    else if (strcmp(key, "profile_dir") == 0 && json_is_string(v))
      o->ma.profile_dir = strdup(json_string_value(v));
    else if (strcmp(key, "max_running") == 0 && json_is_integer(v))
      o->ma.max_running = (int)json_integer_value(v);
    else if (strcmp(key, "max_queued") == 0 && json_is_integer(v))
      o->ma.max_queued = (int)json_integer_value(v);
    else if (strcmp(key, "max_log_mb") == 0 && json_is_integer(v))
      o->ma.max_log_mb = (int)json_integer_value(v);
    else if (strcmp(key, "max_state_mb") == 0 && json_is_integer(v))
      o->ma.max_state_mb = (int)json_integer_value(v);
    else if (strcmp(key, "min_free_mb") == 0 && json_is_integer(v))
      o->ma.min_free_mb = (int)json_integer_value(v);
    else if (strcmp(key, "qemu_dir") == 0 && json_is_string(v))
      o->ma.qemu_dir = strdup(json_string_value(v));
    else if (strcmp(key, "kvm_device") == 0 && json_is_string(v))
      o->ma.kvm_device = strdup(json_string_value(v));
    else if (strcmp(key, "vclock_plugin") == 0 && json_is_string(v))
      o->ma.vclock_plugin = strdup(json_string_value(v));
    else if (strcmp(key, "max_connections") == 0 && json_is_integer(v))
      o->http.max_connections = (int)json_integer_value(v);
    else if (strcmp(key, "max_streams") == 0 && json_is_integer(v))
      o->http.max_streams = (int)json_integer_value(v);
    else if (strcmp(key, "max_streams_per_client") == 0 && json_is_integer(v))
      o->http.max_streams_per_client = (int)json_integer_value(v);
    else if (strcmp(key, "max_connections_per_address") == 0 && json_is_integer(v))
      o->http.max_connections_per_address = (int)json_integer_value(v);
    else if (strcmp(key, "request_timeout_s") == 0 && json_is_integer(v))
      o->http.request_timeout_s = (int)json_integer_value(v);
    else if (strcmp(key, "image_dirs") == 0 && add_config_strings(o, v, add_image_dir) == 0)
      continue;
    else if (strncmp(key, "slurm_", 6) == 0 && json_is_string(v)) {
      size_t i = 0;
      while (i < N_SLURM && strcmp(slurm_settings[i].key, key) != 0)
        i++;
      if (i == N_SLURM) {
        bad = fprintf(stderr, "minix-analysisd: %s: unknown key: %s\n", path, key);
        continue;
      }
      free((char *)*slurm_setting(&o->ma.slurm, i));
      *slurm_setting(&o->ma.slurm, i) = strdup(json_string_value(v));
    } else if (strcmp(key, "allow_origins") == 0 && add_config_strings(o, v, add_origin) == 0)
      continue;
    else if (strcmp(key, "allow_hosts") == 0 && add_config_strings(o, v, add_host) == 0)
      continue;
    else
      bad = fprintf(stderr, "minix-analysisd: %s: unknown key or wrong type: %s\n", path, key);
  }
  json_decref(cfg);
  return bad ? -1 : 0;
}

static void free_opts(struct server_opts *o) {
  free(o->listen);
  for (size_t i = 0; o->origins[i]; i++)
    free(o->origins[i]);
  for (size_t i = 0; o->hosts[i]; i++)
    free(o->hosts[i]);
  for (size_t i = 0; o->image_dirs[i]; i++)
    free(o->image_dirs[i]);
  free((char *)o->ma.state_dir);
  free((char *)o->ma.profile_dir);
  free((char *)o->ma.qemu_dir);
  free((char *)o->ma.kvm_device);
  free((char *)o->ma.vclock_plugin);
  for (size_t i = 0; i < N_SLURM; i++)
    free((char *)*slurm_setting(&o->ma.slurm, i));
}

static int parse_args(int argc, char **argv, struct server_opts *o) {
  static const struct option longopts[] = {
      {"listen", required_argument, 0, 'l'},
      {"auth", no_argument, 0, 'A'},
      {"state-dir", required_argument, 0, 's'},
      {"config", required_argument, 0, 'c'},
      {"profile-dir", required_argument, 0, 'p'},
      {"max-running", required_argument, 0, 'r'},
      {"max-queued", required_argument, 0, 'q'},
      {"max-log-mb", required_argument, 0, 'L'},
      {"rate-limit", required_argument, 0, 'R'},
      {"rate-burst", required_argument, 0, 'B'},
      {"image-dir", required_argument, 0, 'I'},
      {"max-state-mb", required_argument, 0, 'Q'},
      {"min-free-mb", required_argument, 0, 'F'},
      {"mcp-allow-origin", required_argument, 0, 'o'},
      {"allow-origin", required_argument, 0, 'o'},
      {"allow-host", required_argument, 0, 'H'},
      {"max-connections", required_argument, 0, 'C'},
      {"max-streams", required_argument, 0, 'S'},
      {"max-streams-per-client", required_argument, 0, 'P'},
      {"request-timeout-s", required_argument, 0, 'T'},
      {"max-connections-per-address", required_argument, 0, 'N'},
      {"qemu-dir", required_argument, 0, 'D'},
      {"kvm-device", required_argument, 0, 'K'},
      {"vclock-plugin", required_argument, 0, 'V'},
      {"help", no_argument, 0, 'h'},
      {"slurm-partition", required_argument, 0, SLURM_OPT + 0},
      {"slurm-account", required_argument, 0, SLURM_OPT + 1},
      {"slurm-constraint", required_argument, 0, SLURM_OPT + 2},
      {"slurm-spool", required_argument, 0, SLURM_OPT + 3},
      {"slurm-cli", required_argument, 0, SLURM_OPT + 4},
      {"slurm-bin-dir", required_argument, 0, SLURM_OPT + 5},
      {0, 0, 0, 0}};
  _Static_assert(N_SLURM == 6, "a --slurm-* option per setting");
  struct server_opts flags = {0};
  const char *config = NULL;
  int c, at = 0, bad = 0;
  optind = 0; /* 0, not 1: GNU getopt then forgets the "+" mode of the global options */
  while ((c = getopt_long(argc, argv, "", longopts, &at)) != -1) {
    const char *name = longopts[at].name;
    if (c >= SLURM_OPT && c < SLURM_OPT + (int)N_SLURM) {
      free((char *)*slurm_setting(&flags.ma.slurm, (size_t)(c - SLURM_OPT)));
      *slurm_setting(&flags.ma.slurm, (size_t)(c - SLURM_OPT)) = strdup(optarg);
      continue;
    }
    switch (c) {
    case 'l': flags.listen = strdup(optarg); break;
    case 'A': flags.auth = true; break;
    case 'R': bad = flag_double(PROG, name, optarg, 0, 1e6, &flags.rate_limit); break;
    case 'I':
      if (add_image_dir(o, optarg) < 0)
        goto fail;
      break;
    case 'B': bad = flag_double(PROG, name, optarg, 0, 1e6, &flags.rate_burst); break;
    case 's': flags.ma.state_dir = strdup(optarg); break;
    case 'c': config = optarg; break;
    case 'p': flags.ma.profile_dir = strdup(optarg); break;
    case 'r': bad = flag_int(PROG, name, optarg, 1, 1024, &flags.ma.max_running); break;
    case 'q': bad = flag_int(PROG, name, optarg, 1, 1000000, &flags.ma.max_queued); break;
    case 'L': bad = flag_int(PROG, name, optarg, 1, INT_MAX, &flags.ma.max_log_mb); break;
    case 'Q': bad = flag_int(PROG, name, optarg, 1, INT_MAX, &flags.ma.max_state_mb); break;
    case 'F': bad = flag_int(PROG, name, optarg, 1, INT_MAX, &flags.ma.min_free_mb); break;
    case 'D': flags.ma.qemu_dir = strdup(optarg); break;
    case 'K': flags.ma.kvm_device = strdup(optarg); break;
    case 'V': flags.ma.vclock_plugin = strdup(optarg); break;
    case 'o':
      if (add_origin(o, optarg) < 0)
        goto fail;
      break;
    case 'H':
      if (add_host(o, optarg) < 0)
        goto fail;
      break;
    case 'C': bad = flag_int(PROG, name, optarg, 1, 65536, &flags.http.max_connections); break;
    case 'S': bad = flag_int(PROG, name, optarg, 1, 65536, &flags.http.max_streams); break;
    case 'P':
      bad = flag_int(PROG, name, optarg, 1, 65536, &flags.http.max_streams_per_client);
      break;
    case 'T': bad = flag_int(PROG, name, optarg, 1, 86400, &flags.http.request_timeout_s); break;
    case 'N':
      bad = flag_int(PROG, name, optarg, 1, 65536, &flags.http.max_connections_per_address);
      break;
    case 'h': usage(stdout); exit(0);
    default: usage(stderr); goto fail;
    }
    if (bad < 0)
      goto fail;
  }
  if (optind < argc) {
    fprintf(stderr, "minix-analysisd: unexpected argument %s\n", argv[optind]);
    goto fail;
  }
  if (config && apply_config(config, o) < 0)
    goto fail;
  /* Flags win over the config file. */
  if (flags.listen)
    free(o->listen), o->listen = flags.listen;
  if (flags.auth)
    o->auth = true;
  if (flags.rate_limit > 0)
    o->rate_limit = flags.rate_limit;
  if (flags.rate_burst > 0)
    o->rate_burst = flags.rate_burst;
  if (flags.ma.state_dir)
    free((char *)o->ma.state_dir), o->ma.state_dir = flags.ma.state_dir;
  if (flags.ma.profile_dir)
    free((char *)o->ma.profile_dir), o->ma.profile_dir = flags.ma.profile_dir;
  if (flags.ma.max_running)
    o->ma.max_running = flags.ma.max_running;
  if (flags.ma.max_queued)
    o->ma.max_queued = flags.ma.max_queued;
  if (flags.ma.max_log_mb)
    o->ma.max_log_mb = flags.ma.max_log_mb;
  if (flags.ma.max_state_mb)
    o->ma.max_state_mb = flags.ma.max_state_mb;
  if (flags.ma.min_free_mb)
    o->ma.min_free_mb = flags.ma.min_free_mb;
  if (flags.ma.qemu_dir)
    free((char *)o->ma.qemu_dir), o->ma.qemu_dir = flags.ma.qemu_dir;
  if (flags.ma.kvm_device)
    free((char *)o->ma.kvm_device), o->ma.kvm_device = flags.ma.kvm_device;
  if (flags.ma.vclock_plugin)
    free((char *)o->ma.vclock_plugin), o->ma.vclock_plugin = flags.ma.vclock_plugin;
  for (size_t i = 0; i < N_SLURM; i++) {
    const char **flag = slurm_setting(&flags.ma.slurm, i), **opt = slurm_setting(&o->ma.slurm, i);
    if (*flag)
      free((char *)*opt), *opt = *flag;
  }
  if (o->ma.slurm.partition && (!o->ma.slurm.spool || o->ma.slurm.spool[0] != '/')) {
    fprintf(stderr, "minix-analysisd: --slurm-partition needs --slurm-spool, an absolute path of a "
                    "directory the nodes share\n");
    return -1;
  }
  if (flags.http.max_connections > 0)
    o->http.max_connections = flags.http.max_connections;
  if (flags.http.max_streams > 0)
    o->http.max_streams = flags.http.max_streams;
  if (flags.http.max_streams_per_client > 0)
    o->http.max_streams_per_client = flags.http.max_streams_per_client;
  if (flags.http.request_timeout_s > 0)
    o->http.request_timeout_s = flags.http.request_timeout_s;
  if (flags.http.max_connections_per_address > 0)
    o->http.max_connections_per_address = flags.http.max_connections_per_address;
  if (o->http.max_connections <= 0)
    o->http.max_connections = 256;
  if (o->http.max_streams <= 0)
    o->http.max_streams =
        o->http.max_connections > 128 ? o->http.max_connections - 64 : o->http.max_connections / 2;
  if (o->http.max_streams >= o->http.max_connections) {
    fprintf(stderr, "minix-analysisd: --max-streams must stay below --max-connections (a reserve "
                    "for short requests)\n");
    goto fail;
  }
  if (o->http.max_streams_per_client <= 0)
    o->http.max_streams_per_client = 32;
  if (o->http.max_connections_per_address <= 0 ||
      o->http.max_connections_per_address > o->http.max_connections)
    o->http.max_connections_per_address = o->http.max_connections - o->http.max_connections / 8;
  if (o->http.request_timeout_s <= 0)
    o->http.request_timeout_s = 10;
  if (!o->listen)
    o->listen = strdup("127.0.0.1:8420");
  if (!o->ma.state_dir)
    o->ma.state_dir = strdup("./minix-analysis-data");
  if (o->ma.max_running <= 0)
    o->ma.max_running = 1;
  if (o->ma.max_queued <= 0)
    o->ma.max_queued = 64;
  return 0;
fail:
  free_opts(&flags);
  return -1;
}

static int split_listen(const char *listen, bool auth, char **host, int *port) {
  const char *colon = strrchr(listen, ':');
  char *end;
  long p = colon ? strtol(colon + 1, &end, 10) : -1;
  if (!colon || *end || p < 0 || p > 65535) {
    fprintf(stderr, "minix-analysisd: --listen wants HOST:PORT, got %s\n", listen);
    return -1;
  }
  *host = strndup(listen, (size_t)(colon - listen));
  *port = (int)p;
  /* Anyone who reaches the API can make this host boot files it names: without
   * tokens, only this machine may. */
  if (!auth && strcmp(*host, "localhost") != 0 && strncmp(*host, "127.", 4) != 0) {
    fprintf(stderr,
            "minix-analysisd: refusing to listen on %s without --auth: only loopback addresses "
            "(127.x.x.x, localhost) are served without bearer tokens\n",
            *host);
    free(*host);
    *host = NULL;
    return -1;
  }
  return 0;
}

#define FLUSH_MS 250
#define STATUS_MS 1000 /* systemd STATUS= with the queue, when it changed */

static void on_http_stopped(void *userdata) {
  struct server *s = userdata;
  uv_close((uv_handle_t *)&s->sigterm, NULL);
  uv_close((uv_handle_t *)&s->sigint, NULL);
  uv_close((uv_handle_t *)&s->flush, NULL);
}

static void on_flushed(uv_timer_t *t) {
  struct server *s = t->data;
  /* MHD cannot stop with suspended connections: let image verifications answer first. */
  if (s->api.deferred > 0) {
    uv_timer_start(&s->flush, on_flushed, FLUSH_MS, 0);
    return;
  }
  http_server_stop(s->http, on_http_stopped, s);
}

/* Streams that follow runs have just been sent their final events: give them
 * a moment to reach the clients before the connections close. */
static void on_jobs_idle(void *userdata) {
  struct server *s = userdata;
  fprintf(stderr, "minix-analysisd: no QEMU left; exiting\n");
  uv_timer_start(&s->flush, on_flushed, FLUSH_MS, 0);
}

static void on_status(uv_timer_t *t) {
  struct server *s = t->data;
  int queued, running;
  jobs_counts(s->ctx.jobs, &queued, &running);
  notify_status(queued, running);
}

static void on_signal(uv_signal_t *h, int signum) {
  struct server *s = h->data;
  if (s->stopping)
    return;
  s->stopping = true;
  notify_stopping();
  uv_close((uv_handle_t *)&s->status, NULL);
  fprintf(stderr, "minix-analysisd: %s: no new connections; cancelling runs\n", strsignal(signum));
  http_server_quiesce(s->http);
  matrices_detach_slurm(s->ctx.matrices); /* their Slurm jobs go on: the next daemon adopts them */
  context_stop(&s->ctx);
  jobs_shutdown(s->ctx.jobs, on_jobs_idle, s);
}

static int serve(struct server *s, const struct server_opts *o) {
  char *err = NULL, *host = NULL;
  int port;
  if (split_listen(o->listen, o->auth, &host, &port) < 0)
    return 2;
  struct ma_options ma = o->ma;
  ma.image_dirs = (const char *const *)o->image_dirs; /* empty: the state dir's images/ only */
  int r = context_open(&s->ctx, s->loop, &ma, &err);
  s->api = (struct api_ctx){
      .core = &s->ctx,
      .mcp = s->mcp = mcp_state_new(),
      .runs_pages = s->pages = page_cache_new(),
      .metrics = s->metrics = metrics_new(),
      .auth = o->auth,
      .rate_limit = s->limiter =
          o->rate_limit > 0
              ? rate_limit_new(o->rate_limit, o->rate_burst > 0 ? o->rate_burst : 2 * o->rate_limit)
              : NULL,
      .streams = s->streams =
          stream_limits_new(o->http.max_streams, o->http.max_streams_per_client),
      .allowed_origins = (const char *const *)o->origins,
      .allowed_hosts = (const char *const *)o->hosts,
      .wake = http_server_wake};
  if (r == 0 && (!s->mcp || !s->streams)) {
    err = strdup(s->mcp ? "out of memory" : "cannot load the MCP tool catalog");
    r = -EINVAL;
  }
  if (r == 0)
    r = http_server_start(s->loop, host, port, &o->http, api_handle, api_request_completed, &s->api,
                          &s->http, &err);
  s->api.wake_data = s->http;
  if (r < 0) {
    fprintf(stderr, "minix-analysisd: %s\n", err ? err : strerror(-r));
    free(err);
    free(host);
    return 1;
  }
  /* Handlers first: whoever reads the line below may signal us at once. */
  uv_signal_init(s->loop, &s->sigterm);
  uv_signal_init(s->loop, &s->sigint);
  uv_timer_init(s->loop, &s->flush);
  uv_timer_init(s->loop, &s->status);
  s->sigterm.data = s->sigint.data = s->flush.data = s->status.data = s;
  uv_timer_start(&s->status, on_status, STATUS_MS, STATUS_MS);
  uv_signal_start(&s->sigterm, on_signal, SIGTERM);
  uv_signal_start(&s->sigint, on_signal, SIGINT);
  json_auto_t *kvm = accel_host_json(&s->ctx.host.kvm);
  fprintf(
      stderr,
      "minix-analysisd %s: listening on http://%s:%d, state in %s; qemu: %s, from %s; kvm: %s\n",
      MA_VERSION, host, http_server_port(s->http), s->ctx.state_dir, s->ctx.host.qemu_version,
      s->ctx.host.qemu.dir, json_string_value(json_object_get(kvm, "reason")));
  free(host);
  notify_ready("listening; no boot running");
  uv_run(s->loop, UV_RUN_DEFAULT);
  return 0;
}

int server_main(int argc, char **argv) {
  struct server_opts o = {0};
  if (parse_args(argc, argv, &o) < 0) {
    free_opts(&o);
    return 2;
  }
  o.ma.run_jobs = o.ma.probe_kvm = true;
  signal(SIGPIPE, SIG_IGN);
  struct server s = {.loop = uv_default_loop()};
  int status = serve(&s, &o);
  context_close(&s.ctx);
  mcp_state_free(s.mcp);
  page_cache_free(s.pages);
  metrics_free(s.metrics);
  rate_limit_free(s.limiter);
  stream_limits_free(s.streams);
  loop_close(s.loop, stderr, "minix-analysisd");
  free_opts(&o);
  return status;
}

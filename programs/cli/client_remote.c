/* The CLI's calls against a daemon: each is the REST route of the same operation; live events come
 * from the run's SSE stream. */
#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"
#include "programs/cli/cli_client.h"
#include "programs/cli/client.h"

struct route {
  const char *method;
  const char *path;  /* %s: args "id", then "other" */
  bool body;         /* args are the request body */
  const char *query; /* args named here go into the query string */
  bool text;         /* the answer is text, not JSON: out gets {"text"} */
};

static const struct route routes[] = {
    [CLIENT_BOOT] = {"POST", "/api/v1/boots", true, NULL},
    [CLIENT_MEMORY] = {"POST", "/api/v1/memory", true, NULL},
    [CLIENT_RUN_GET] = {"GET", "/api/v1/runs/%s", false, NULL},
    [CLIENT_RUNS_LIST] = {"GET", "/api/v1/runs", false, "limit cursor status profile label"},
    [CLIENT_SERIAL_DELETE] = {"DELETE", "/api/v1/runs/%s/serial", false, NULL},
    [CLIENT_MATRIX_START] = {"POST", "/api/v1/matrices", true, NULL},
    [CLIENT_MATRIX_GET] = {"GET", "/api/v1/matrices/%s", false, NULL},
    [CLIENT_MATRICES_LIST] = {"GET", "/api/v1/matrices", false, "limit"},
    [CLIENT_MATRIX_COMPARE] = {"GET", "/api/v1/matrices/%s/compare/%s", false, NULL},
    [CLIENT_MATRIX_RENDER] = {"GET", "/api/v1/matrices/%s/report", false, "format", true},
    [CLIENT_TRACE_START] = {"POST", "/api/v1/traces", true, NULL},
    [CLIENT_TRACE_GET] = {"GET", "/api/v1/traces/%s", false, NULL},
    [CLIENT_INSTALL_START] = {"POST", "/api/v1/installs", true, NULL},
    [CLIENT_INSTALL_GET] = {"GET", "/api/v1/installs/%s", false, NULL},
    [CLIENT_IMAGE_REGISTER] = {"POST", "/api/v1/images", true, NULL},
    [CLIENT_IMAGES_LIST] = {"GET", "/api/v1/images", false, NULL},
    [CLIENT_IMAGE_DELETE] = {"DELETE", "/api/v1/images/%s", false, NULL},
};

/* The kind of failure an HTTP status says (the inverse of api/http_status.c). */
static int errnum_of(long status) {
  static const struct {
    long status;
    int errnum;
  } table[] = {{400, EINVAL},     {401, ENOKEY}, {403, EACCES}, {404, ENOENT},
               {405, EOPNOTSUPP}, {409, EBUSY},  {410, ENOENT}, {413, E2BIG},
               {429, EUSERS},     {503, EAGAIN}, {507, ENOSPC}};
  for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
    if (table[i].status == status)
      return table[i].errnum;
  return EIO;
}

/* An id from the user goes into a path: percent-encoded, so that it stays one segment. */
static char *escape(const char *v) {
  char *e = curl_easy_escape(NULL, v ? v : "", 0);
  char *copy = e ? strdup(e) : NULL;
  curl_free(e);
  return copy;
}

static char *escaped(json_t *args, const char *key) {
  return escape(json_string_value(json_object_get(args, key)));
}

static char *url_of(const struct client *c, const struct route *rt, json_t *args) {
  _cleanup_(util_freep) char *id = escaped(args, "id");
  _cleanup_(util_freep) char *other = escaped(args, "other");
  _cleanup_(util_freep) char *path = util_strdupf(rt->path, id ? id : "", other ? other : "");
  struct util_buf url = {0};
  util_buf_printf(&url, "%s%s", c->cli->server, path ? path : "");
  const char *key;
  json_t *v;
  char sep = '?';
  json_object_foreach(args, key, v) {
    if (!rt->query || !strstr(rt->query, key))
      continue;
    _cleanup_(util_freep) char *text =
        json_is_string(v) ? strdup(json_string_value(v)) : json_dumps(v, JSON_ENCODE_ANY);
    char *e = curl_easy_escape(NULL, text ? text : "", 0);
    util_buf_printf(&url, "%c%s=%s", sep, key, e ? e : "");
    curl_free(e);
    sep = '&';
  }
  return url.data;
}

/* The daemon's {"error":{...}} as err, with the kind its status says. */
static int daemon_error(long status, json_t *reply, struct ma_error *err) {
  json_t *e = json_object_get(reply, "error");
  const char *code = json_string_value(json_object_get(e, "code"));
  const char *message = json_string_value(json_object_get(e, "message"));
  ma_error_set(err, errnum_of(status), code ? code : "http_error",
               json_string_value(json_object_get(e, "field")), "%s",
               message ? message : "the daemon answered an error without a body");
  return -errnum_of(status);
}

int client_remote_call(struct client *c, enum client_op op, json_t *args, json_t **out,
                       struct ma_error *err) {
  const struct route *rt = &routes[op];
  _cleanup_(util_freep) char *url = url_of(c, rt, args);
  long status = 0;
  char *transport = NULL, *text = NULL;
  if (!url ||
      cli_http_raw(rt->method, url, rt->body ? args : NULL, &status, &text, &transport) < 0) {
    ma_error_set(err, EIO, "daemon_unreachable", NULL, "cannot reach the daemon: %s",
                 transport ? transport : "out of memory");
    free(transport);
    return -EIO;
  }
  json_t *reply =
      rt->text && status < 400 ? json_pack("{s:s}", "text", text) : json_loads(text, 0, NULL);
  free(text);
  if (status >= 400) {
    int r = daemon_error(status, reply, err);
    json_decref(reply);
    return r;
  }
  if (!reply) {
    ma_error_set(err, EIO, "bad_reply", NULL, "the daemon answered something that is not JSON");
    return -EIO;
  }
  *out = reply;
  return 0;
}

/* --- following a run over SSE --- */

struct sse {
  client_event_cb cb;
  void *userdata;
  struct util_buf line;
  char event[32];
  json_t *data;
};

/* One line of the stream: "event: NAME", "data: JSON", or the empty line that ends an event. */
static void sse_line(struct sse *s, const char *line) {
  if (strncmp(line, "event: ", 7) == 0) {
    snprintf(s->event, sizeof s->event, "%s", line + 7);
  } else if (strncmp(line, "data: ", 6) == 0) {
    json_decref(s->data);
    s->data = json_loads(line + 6, 0, NULL);
  } else if (line[0] == '\0' && s->data) {
    s->cb(s->userdata, s->event[0] ? s->event : "message", s->data);
    json_decref(s->data);
    s->data = NULL;
    s->event[0] = '\0';
  }
}

static size_t on_stream(char *ptr, size_t size, size_t nmemb, void *userdata) {
  struct sse *s = userdata;
  size_t n = size * nmemb;
  for (size_t i = 0; i < n; i++) {
    if (ptr[i] != '\n') {
      if (util_buf_append(&s->line, &ptr[i], 1) < 0)
        return 0;
      continue;
    }
    if (s->line.len && s->line.data[s->line.len - 1] == '\r')
      s->line.len--;
    sse_line(s, s->line.len ? s->line.data : ""); /* util_buf keeps a NUL after its data */
    s->line.len = 0;
  }
  return n;
}

/* Follows the event stream at /api/v1/COLLECTION/ID/events until the daemon ends it. */
static int follow_stream(struct client *c, const char *collection, const char *what, const char *id,
                         client_event_cb cb, void *userdata, struct ma_error *err) {
  _cleanup_(util_freep) char *escaped_id = escape(id);
  _cleanup_(util_freep) char *url =
      escaped_id ? util_strdupf("%s/api/v1/%s/%s/events", c->cli->server, collection, escaped_id)
                 : NULL;
  CURL *curl = url ? curl_easy_init() : NULL;
  if (!curl) {
    ma_error_set(err, ENOMEM, "internal_error", NULL, "out of memory");
    return -ENOMEM;
  }
  struct sse s = {.cb = cb, .userdata = userdata};
  const char *token = getenv("MINIX_ANALYSIS_TOKEN");
  _cleanup_(util_freep) char *auth =
      token && *token ? util_strdupf("Authorization: Bearer %s", token) : NULL;
  struct curl_slist *headers = curl_slist_append(NULL, "Accept: text/event-stream");
  if (auth)
    headers = curl_slist_append(headers, auth);
  curl_easy_setopt(curl, CURLOPT_URL, url);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_stream);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &s);
  curl_easy_setopt(curl, CURLOPT_FAILONERROR, 1L);
  CURLcode rc = curl_easy_perform(curl); /* the daemon ends the stream at the end */
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  int r = 0;
  if (rc != CURLE_OK) {
    r = status >= 400 ? -errnum_of(status) : -EIO;
    _cleanup_(util_freep) char *code = util_strdupf("%s_not_found", what);
    ma_error_set(err, -r, status == 404 && code ? code : "stream_failed",
                 status == 404 ? "id" : NULL, "following %s %s: %s", what, id,
                 curl_easy_strerror(rc));
  }
  json_decref(s.data);
  util_buf_clear(&s.line);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  return r;
}

int client_remote_follow(struct client *c, const char *run_id, client_event_cb cb, void *userdata,
                         struct ma_error *err) {
  return follow_stream(c, "runs", "run", run_id, cb, userdata, err);
}

struct matrix_stream {
  client_matrix_cb cb;
  void *userdata;
  int total;
};

/* The matrix's events: where it stands, a progress event per run, its final status. */
static void on_matrix_event(void *userdata, const char *event, json_t *data) {
  struct matrix_stream *m = userdata;
  int done = (int)json_integer_value(json_object_get(data, "done"));
  if (json_object_get(data, "total"))
    m->total = (int)json_integer_value(json_object_get(data, "total"));
  const char *status = json_string_value(json_object_get(data, "status"));
  if (strcmp(event, "progress") == 0)
    m->cb(m->userdata, done, m->total, "running");
  else if (strcmp(event, "status") == 0 && status && strcmp(status, "running") != 0)
    m->cb(m->userdata, json_object_get(data, "done") ? done : m->total, m->total, status);
}

int client_remote_follow_matrix(struct client *c, const char *id, client_matrix_cb cb,
                                void *userdata, struct ma_error *err) {
  struct matrix_stream m = {cb, userdata, 0};
  return follow_stream(c, "matrices", "matrix", id, on_matrix_event, &m, err);
}

#include "lib/qmp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define QMP_MAX_MESSAGE (1u << 20)

static int parse_event(json_t *root, struct qmp_msg *m) {
  m->kind = QMP_EVENT;
  m->event = json_string_value(json_object_get(root, "event"));
  json_t *ts = json_object_get(root, "timestamp");
  json_t *secs = json_object_get(ts, "seconds"), *usecs = json_object_get(ts, "microseconds");
  /* Only plausible stamps: a hostile or broken peer must not overflow the arithmetic (found by fuzzing). */
  json_int_t s = json_integer_value(secs), us = json_integer_value(usecs);
  if (json_is_integer(secs) && json_is_integer(usecs) && s >= 0 && s < 1LL << 40 && us >= 0 && us < 1000000)
    m->event_wall_us = s * 1000000 + us;
  return m->event ? 0 : -EINVAL;
}

static int parse_error(json_t *err, struct qmp_msg *m) {
  m->kind = QMP_ERROR;
  m->error_class = json_string_value(json_object_get(err, "class"));
  m->error_desc = json_string_value(json_object_get(err, "desc"));
  return m->error_class ? 0 : -EINVAL;
}

int qmp_parse(const char *text, size_t len, struct qmp_msg *out) {
  memset(out, 0, sizeof *out);
  json_t *root = json_loadb(text, len, 0, NULL);
  if (!json_is_object(root)) {
    json_decref(root);
    return -EINVAL;
  }
  out->root = root;
  out->id = json_string_value(json_object_get(root, "id"));
  int r = -EINVAL;
  json_t *v;
  if ((v = json_object_get(root, "QMP")) && json_is_object(v)) {
    out->kind = QMP_GREETING;
    r = 0;
  } else if ((v = json_object_get(root, "return"))) {
    out->kind = QMP_RETURN;
    out->ret = v;
    r = 0;
  } else if ((v = json_object_get(root, "error")) && json_is_object(v)) {
    r = parse_error(v, out);
  } else if (json_object_get(root, "event")) {
    r = parse_event(root, out);
  }
  if (r < 0)
    qmp_msg_clear(out);
  return r;
}

void qmp_msg_clear(struct qmp_msg *m) {
  json_decref(m->root);
  memset(m, 0, sizeof *m);
}

char *qmp_command(const char *execute, json_t *args, const char *id) {
  json_t *cmd = json_pack("{s:s}", "execute", execute);
  if (args)
    json_object_set_new(cmd, "arguments", args);
  if (id)
    json_object_set_new(cmd, "id", json_string(id));
  char *body = json_dumps(cmd, JSON_COMPACT);
  json_decref(cmd);
  if (!body)
    return NULL;
  size_t n = strlen(body);
  char *line = realloc(body, n + 2);
  if (!line) {
    free(body);
    return NULL;
  }
  line[n] = '\n';
  line[n + 1] = '\0';
  return line;
}

int qmp_framer_feed(struct qmp_framer *f, const char *data, size_t len, qmp_line_cb cb, void *userdata) {
  struct util_buf *b = &f->buf;
  if (b->len + len > QMP_MAX_MESSAGE)
    return -E2BIG;
  if (util_buf_append(b, data, len) < 0)
    return -ENOMEM;
  size_t start = 0;
  for (size_t i = 0; i < b->len; i++) {
    if (b->data[i] != '\n')
      continue;
    if (i > start)
      cb(userdata, b->data + start, i - start);
    start = i + 1;
  }
  util_buf_consume(b, start);
  return 0;
}

void qmp_framer_clear(struct qmp_framer *f) { util_buf_clear(&f->buf); }

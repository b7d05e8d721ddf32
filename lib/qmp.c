#include "lib/qmp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int parse_event(json_t *root, struct qmp_msg *m) {
  m->kind = QMP_EVENT;
  m->event = json_string_value(json_object_get(root, "event"));
  json_t *ts = json_object_get(root, "timestamp");
  json_t *secs = json_object_get(ts, "seconds"), *usecs = json_object_get(ts, "microseconds");
  /* Only plausible stamps: a hostile or broken peer must not overflow the arithmetic (found by
   * fuzzing). */
  json_int_t s = json_integer_value(secs), us = json_integer_value(usecs);
  if (json_is_integer(secs) && json_is_integer(usecs) && s >= 0 && s < 1LL << 40 && us >= 0 &&
      us < 1000000)
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

/* What a string reply starts with; whitespace may precede each token. QEMU sends
 * {"return": "...", "id": ...}: "return" comes first, the id after the string. */
static const char text_head[] = "{\"return\":\"";

static bool ws_allowed(size_t pos) { return pos <= 1 || pos >= 9; } /* not inside the key */

static bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\r'; }

static int append(struct qmp_framer *f, const char *data, size_t n) {
  if (f->buf.len + n > QMP_MAX_MESSAGE)
    return -E2BIG;
  return util_buf_append(&f->buf, data, n) < 0 ? -ENOMEM : 0;
}

/* Matches the start of a message against text_head, byte by byte, until it is decided. */
static int feed_head(struct qmp_framer *f, const char *data, size_t len, size_t *used) {
  size_t i = 0;
  for (; i < len && !f->in_text; i++) {
    char c = data[i];
    bool ws = is_ws(c) && ws_allowed(f->head);
    if (!ws && c != text_head[f->head]) {
      f->head_done = true; /* not a string reply (or a newline): framed as a line */
      break;
    }
    int r = append(f, &c, 1);
    if (r < 0)
      return r;
    if (!ws && ++f->head == sizeof text_head - 1)
      f->in_text = true;
  }
  *used = i;
  return 0;
}

/* Streams the string up to its closing quote, which ends the streaming and joins the buffered
 * message. */
static int feed_text(struct qmp_framer *f, const char *data, size_t len, size_t *used) {
  size_t i = 0;
  for (; i < len; i++) {
    if (f->text_escape)
      f->text_escape = false;
    else if (data[i] == '\\')
      f->text_escape = true;
    else if (data[i] == '"')
      break;
    else if (data[i] == '\n')
      return -EPROTO;
  }
  if (i)
    f->text_cb(f->text_userdata, data, i);
  *used = i;
  if (i == len)
    return 0;
  f->in_text = false;
  f->text_cb = NULL;
  f->head_done = true;
  *used = i + 1;
  return append(f, "\"", 1);
}

static int feed_line(struct qmp_framer *f, const char *data, size_t len, qmp_line_cb cb,
                     void *userdata, size_t *used) {
  const char *nl = memchr(data, '\n', len);
  size_t n = nl ? (size_t)(nl - data) : len;
  int r = append(f, data, n);
  if (r < 0 || !nl) {
    *used = n;
    return r;
  }
  if (f->buf.len)
    cb(userdata, f->buf.data, f->buf.len);
  util_buf_consume(&f->buf, f->buf.len);
  f->head = 0; /* after cb: a cb that arms the framer arms it for the next message */
  f->head_done = false;
  *used = n + 1;
  return 0;
}

int qmp_framer_feed(struct qmp_framer *f, const char *data, size_t len, qmp_line_cb cb,
                    void *userdata) {
  size_t i = 0;
  while (i < len) {
    size_t used = 0;
    int r;
    if (f->in_text)
      r = feed_text(f, data + i, len - i, &used);
    else if (f->text_cb && !f->head_done)
      r = feed_head(f, data + i, len - i, &used);
    else
      r = feed_line(f, data + i, len - i, cb, userdata, &used);
    if (r < 0)
      return r;
    i += used;
  }
  return 0;
}

void qmp_framer_stream_text(struct qmp_framer *f, qmp_text_cb cb, void *userdata) {
  if (!f->text_cb && !f->in_text) {
    f->head = 0;
    f->head_done = f->buf.len > 0; /* a message already under way is not the reply */
  }
  f->text_cb = cb;
  f->text_userdata = userdata;
}

size_t qmp_framer_peek(const struct qmp_framer *f, char *out, size_t size) {
  size_t n = 0;
  for (; size && n < size - 1 && n < f->buf.len; n++) {
    char c = f->buf.data[n];
    out[n] = c >= 0x20 && c < 0x7f ? c : '?';
  }
  if (size)
    out[n] = '\0';
  return n;
}

void qmp_framer_clear(struct qmp_framer *f) {
  util_buf_clear(&f->buf);
  *f = (struct qmp_framer){0};
}

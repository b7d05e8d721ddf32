/* QMP (QEMU Machine Protocol) message framing, parsing and command building. */
#pragma once
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/util.h"

enum qmp_kind { QMP_GREETING, QMP_RETURN, QMP_ERROR, QMP_EVENT };

struct qmp_msg {
  enum qmp_kind kind;
  json_t *root;            /* owned; released by qmp_msg_clear */
  const char *id;          /* our command id echoed back, or NULL */
  const char *event;       /* QMP_EVENT: name (SHUTDOWN, STOP, ...) */
  int64_t event_wall_us;   /* QMP_EVENT: QEMU's host wall-clock stamp */
  const char *error_class; /* QMP_ERROR */
  const char *error_desc;  /* QMP_ERROR */
  json_t *ret;             /* QMP_RETURN: borrowed "return" value */
};

/* Parses one QMP message; returns 0 or -EINVAL for anything QMP never sends. */
int qmp_parse(const char *text, size_t len, struct qmp_msg *out);
/* Releases what qmp_parse allocated. */
void qmp_msg_clear(struct qmp_msg *m);
/* Builds a command line ("{...}\n", malloc'd); args may be NULL and is stolen. */
char *qmp_command(const char *execute, json_t *args, const char *id);

/* Splits a byte stream into newline-terminated messages. */
struct qmp_framer {
  struct util_buf buf;
};
typedef void (*qmp_line_cb)(void *userdata, const char *line, size_t len);
/* Appends bytes and calls cb once per complete line; returns -E2BIG past 1 MiB without a newline. */
int qmp_framer_feed(struct qmp_framer *f, const char *data, size_t len, qmp_line_cb cb, void *userdata);
/* Frees the framer's buffer. */
void qmp_framer_clear(struct qmp_framer *f);

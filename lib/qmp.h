/* QMP (QEMU Machine Protocol) message framing, parsing and command building. */
#pragma once
#include <jansson.h>
#include <stdbool.h>
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

/* The most a framer buffers of one message. A peer that sends more without a
 * newline is broken or hostile: the daemon must not grow with it. */
#define QMP_MAX_MESSAGE (1u << 20)

/* Receives a streamed string's bytes as they arrive, still JSON-escaped, without the quotes. */
typedef void (*qmp_text_cb)(void *userdata, const char *escaped, size_t len);

/* Splits a byte stream into newline-terminated messages. Armed with
 * qmp_framer_stream_text, it passes the string of the next {"return": "..."}
 * to a callback as it arrives instead of buffering it, and delivers that
 * message with the string emptied: {"return": "", "id": ...}. */
struct qmp_framer {
  struct util_buf buf;
  qmp_text_cb text_cb; /* armed for one string reply; NULL otherwise */
  void *text_userdata;
  size_t head;    /* how much of the message so far matches {"return": " (while armed) */
  bool head_done; /* this message is known not to be a string reply */
  bool in_text;   /* inside the streamed string */
  bool text_escape;
};
typedef void (*qmp_line_cb)(void *userdata, const char *line, size_t len);
/* Appends bytes and calls cb once per complete line; returns -E2BIG once a message
 * outgrows QMP_MAX_MESSAGE (a streamed string does not count), -EPROTO for a raw
 * newline inside a streamed string (JSON escapes it). */
int qmp_framer_feed(struct qmp_framer *f, const char *data, size_t len, qmp_line_cb cb,
                    void *userdata);
/* Arms the framer: the next message that is a string reply streams its string to cb (once). */
void qmp_framer_stream_text(struct qmp_framer *f, qmp_text_cb cb, void *userdata);
/* Copies the start of the message being buffered, printable ASCII only, into out; returns its
 * length. */
size_t qmp_framer_peek(const struct qmp_framer *f, char *out, size_t size);
/* Frees the framer's buffer. */
void qmp_framer_clear(struct qmp_framer *f);

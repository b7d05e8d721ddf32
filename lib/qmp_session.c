#include "lib/qmp_session.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/qmp.h"
#include "lib/util.h"

static const char *const cmd_names[] = {
    [QMP_CMD_CAPABILITIES] = "qmp_capabilities",
    [QMP_CMD_CHARDEV] = "query-chardev",
    [QMP_CMD_CONT] = "cont",
    [QMP_CMD_CPUS] = "query-cpus-fast",
    [QMP_CMD_MEMORY] = "query-memory-size-summary",
    [QMP_CMD_INFO_MEM] = "human-monitor-command",
    [QMP_CMD_QUIT] = "quit",
};

/* The id's prefix: a log line with "cont-3" in it is read without the table. */
static const char *const id_prefixes[] = {
    [QMP_CMD_CAPABILITIES] = "caps", [QMP_CMD_CHARDEV] = "chardev", [QMP_CMD_CONT] = "cont",
    [QMP_CMD_CPUS] = "cpus",         [QMP_CMD_MEMORY] = "mem",      [QMP_CMD_INFO_MEM] = "infomem",
    [QMP_CMD_QUIT] = "quit",
};

static const char *const step_names[] = {
    [QMP_STEP_GREETING] = "greeting", [QMP_STEP_CAPABILITIES] = "capabilities",
    [QMP_STEP_CONNECT] = "connect",   [QMP_STEP_CONSOLE] = "console",
    [QMP_STEP_CONT] = "cont",         [QMP_STEP_RUNNING] = "running",
    [QMP_STEP_FAILED] = "failed",
};

const char *qmp_cmd_name(enum qmp_cmd cmd) { return cmd_names[cmd]; }

const char *qmp_step_name(enum qmp_step step) { return step_names[step]; }

void qmp_session_init(struct qmp_session *s) {
  *s = (struct qmp_session){.step = QMP_STEP_GREETING};
}

void qmp_session_clear(struct qmp_session *s) {
  for (size_t i = 0; s && i < QMP_SESSION_MAX_PENDING; i++)
    s->pending[i].id[0] = '\0';
}

void qmp_actions_clear(struct qmp_actions *a) {
  if (!a)
    return;
  for (size_t i = 0; i < a->n; i++) {
    free(a->v[i].text);
    json_decref(a->v[i].ret);
  }
  free(a->v);
  *a = (struct qmp_actions){0};
}

/* Drops the actions added after the first n: a failed call leaves the list as it found it. */
static void actions_truncate(struct qmp_actions *a, size_t n) {
  for (size_t i = n; i < a->n; i++) {
    free(a->v[i].text);
    json_decref(a->v[i].ret);
  }
  a->n = n < a->n ? n : a->n;
}

/* Appends an action; text (taken over) and ret (a reference taken over) are released on failure. */
static int push(struct qmp_actions *a, struct qmp_action act) {
  if (a->n == a->cap) {
    size_t cap = a->cap ? a->cap * 2 : 4;
    struct qmp_action *v = realloc(a->v, cap * sizeof *v);
    if (!v) {
      free(act.text);
      json_decref(act.ret);
      return -ENOMEM;
    }
    a->v = v;
    a->cap = cap;
  }
  a->v[a->n++] = act;
  return 0;
}

static int set_step(struct qmp_session *s, enum qmp_step step, char *why, struct qmp_actions *out) {
  s->step = step;
  return push(out, (struct qmp_action){.kind = QMP_ACT_STEP, .step = step, .text = why});
}

static struct qmp_pending *free_slot(struct qmp_session *s) {
  for (size_t i = 0; i < QMP_SESSION_MAX_PENDING; i++)
    if (!s->pending[i].id[0])
      return &s->pending[i];
  return NULL;
}

/* Builds the command with a fresh id, records it as pending and adds its WRITE action. */
static int send_cmd(struct qmp_session *s, enum qmp_cmd cmd, struct qmp_actions *out) {
  struct qmp_pending *slot = free_slot(s);
  if (!slot)
    return -ENOBUFS;
  char id[sizeof slot->id];
  snprintf(id, sizeof id, "%s-%u", id_prefixes[cmd], ++s->next_id);
  json_t *args = cmd == QMP_CMD_INFO_MEM ? json_pack("{s:s}", "command-line", "info mem") : NULL;
  char *line = qmp_command(cmd_names[cmd], args, id);
  if (!line)
    return -ENOMEM;
  int r = push(out, (struct qmp_action){.kind = QMP_ACT_WRITE, .cmd = cmd, .text = line});
  if (r == 0) {
    memcpy(slot->id, id, sizeof id);
    slot->cmd = cmd;
  }
  return r;
}

/* Takes the pending command answered by id out of the table. */
static int take_pending(struct qmp_session *s, const char *id, enum qmp_cmd *cmd) {
  for (size_t i = 0; id && i < QMP_SESSION_MAX_PENDING; i++)
    if (s->pending[i].id[0] && strcmp(s->pending[i].id, id) == 0) {
      *cmd = s->pending[i].cmd;
      s->pending[i].id[0] = '\0';
      return 0;
    }
  return -EPROTO;
}

static bool is_startup(enum qmp_cmd cmd) {
  return cmd == QMP_CMD_CAPABILITIES || cmd == QMP_CMD_CHARDEV || cmd == QMP_CMD_CONT;
}

static int on_greeting(struct qmp_session *s, struct qmp_actions *out) {
  if (s->step != QMP_STEP_GREETING)
    return -EPROTO;
  int r = send_cmd(s, QMP_CMD_CAPABILITIES, out);
  return r < 0 ? r : set_step(s, QMP_STEP_CAPABILITIES, NULL, out);
}

/* QEMU accepts the console in its main loop, maybe after running `cont`: asking until it says it
 * has accepted keeps the guest's first bytes (see core/supervisor.c). */
static int on_chardevs(struct qmp_session *s, const json_t *ret, struct qmp_actions *out) {
  if (s->quitting)
    return 0;
  if (qmp_session_console_accepted(ret)) {
    int r = send_cmd(s, QMP_CMD_CONT, out);
    return r < 0 ? r : set_step(s, QMP_STEP_CONT, NULL, out);
  }
  if (++s->console_checks >= QMP_SESSION_CONSOLE_CHECKS)
    return set_step(s, QMP_STEP_FAILED, strdup("QEMU did not accept the serial console connection"),
                    out);
  return send_cmd(s, QMP_CMD_CHARDEV, out);
}

static int on_startup_return(struct qmp_session *s, enum qmp_cmd cmd, const json_t *ret,
                             struct qmp_actions *out) {
  if (s->step == QMP_STEP_FAILED)
    return 0; /* the start-up is over; a late reply changes nothing */
  switch (cmd) {
  case QMP_CMD_CAPABILITIES: return set_step(s, QMP_STEP_CONNECT, NULL, out);
  case QMP_CMD_CHARDEV: return on_chardevs(s, ret, out);
  default: return set_step(s, QMP_STEP_RUNNING, NULL, out);
  }
}

static int on_return(struct qmp_session *s, const struct qmp_msg *m, struct qmp_actions *out) {
  enum qmp_cmd cmd;
  if (take_pending(s, m->id, &cmd) < 0)
    return -EPROTO;
  if (is_startup(cmd))
    return on_startup_return(s, cmd, m->ret, out);
  return push(out,
              (struct qmp_action){.kind = QMP_ACT_REPLY, .cmd = cmd, .ret = json_incref(m->ret)});
}

/* A refusal during the start-up ends it; after t0 (and for quit) it is the caller's to judge. */
static int on_error(struct qmp_session *s, const struct qmp_msg *m, struct qmp_actions *out) {
  enum qmp_cmd cmd;
  if (take_pending(s, m->id, &cmd) < 0)
    return -EPROTO;
  char *text = util_strdupf("QMP refused %s: %s", cmd_names[cmd],
                            m->error_desc ? m->error_desc : m->error_class);
  if (!text)
    return -ENOMEM;
  if (!is_startup(cmd))
    return push(out, (struct qmp_action){.kind = QMP_ACT_ERROR, .cmd = cmd, .text = text});
  if (s->step == QMP_STEP_FAILED) {
    free(text);
    return 0;
  }
  return set_step(s, QMP_STEP_FAILED, text, out);
}

static int on_event(const struct qmp_msg *m, struct qmp_actions *out) {
  char *name = strdup(m->event);
  if (!name)
    return -ENOMEM;
  return push(
      out, (struct qmp_action){.kind = QMP_ACT_EVENT, .text = name, .wall_us = m->event_wall_us});
}

static int dispatch(struct qmp_session *s, const struct qmp_msg *m, struct qmp_actions *out) {
  if (m->kind == QMP_GREETING)
    return on_greeting(s, out);
  if (m->kind == QMP_EVENT)
    return on_event(m, out);
  if (s->step == QMP_STEP_GREETING)
    return -EPROTO; /* nothing was asked yet: no reply can be ours */
  return m->kind == QMP_RETURN ? on_return(s, m, out) : on_error(s, m, out);
}

int qmp_session_feed(struct qmp_session *s, const char *line, size_t len, struct qmp_actions *out) {
  struct qmp_msg m;
  int r = qmp_parse(line, len, &m);
  if (r < 0)
    return r;
  struct qmp_session before = *s;
  size_t n = out->n;
  r = dispatch(s, &m, out);
  qmp_msg_clear(&m);
  if (r < 0) {
    *s = before;
    actions_truncate(out, n);
  }
  return r;
}

int qmp_session_console_connected(struct qmp_session *s, struct qmp_actions *out) {
  if (s->step != QMP_STEP_CONNECT || s->quitting)
    return -EINVAL;
  int r = send_cmd(s, QMP_CMD_CHARDEV, out);
  return r < 0 ? r : set_step(s, QMP_STEP_CONSOLE, NULL, out);
}

int qmp_session_command(struct qmp_session *s, enum qmp_cmd cmd, struct qmp_actions *out) {
  if (is_startup(cmd))
    return -EINVAL;
  /* Before capabilities are acknowledged QEMU refuses every command; the others need a running
   * guest. */
  bool ready = cmd == QMP_CMD_QUIT ? s->step >= QMP_STEP_CONNECT && s->step <= QMP_STEP_RUNNING
                                   : s->step == QMP_STEP_RUNNING;
  if (!ready)
    return -EAGAIN;
  int r = send_cmd(s, cmd, out);
  if (r == 0 && cmd == QMP_CMD_QUIT)
    s->quitting = true;
  return r;
}

bool qmp_session_console_accepted(const json_t *chardevs) {
  size_t i;
  json_t *c;
  json_array_foreach(chardevs, i, c) {
    const char *label = json_string_value(json_object_get(c, "label"));
    const char *file = json_string_value(json_object_get(c, "filename"));
    if (label && strcmp(label, "ser0") == 0)
      return file && strncmp(file, "disconnected:", 13) != 0;
  }
  return false;
}

size_t qmp_session_vcpu_tids(const json_t *cpus, int *tids, size_t max) {
  size_t i, n = 0;
  json_t *cpu;
  json_array_foreach(cpus, i, cpu) {
    json_t *tid = json_object_get(cpu, "thread-id");
    if (n < max && json_is_integer(tid))
      tids[n++] = (int)json_integer_value(tid);
  }
  return n;
}

int64_t qmp_session_ram_mb(const json_t *summary) {
  json_t *base = json_object_get(summary, "base-memory");
  return json_is_integer(base) && json_integer_value(base) >= 0
             ? (int64_t)(json_integer_value(base) >> 20)
             : -1;
}

/* The QMP session (lib/qmp_session.h), table-driven: each case is a script of lines fed, calls made
 * and the actions expected, written as text ("write cont; step cont"). In a line, $CAPS, $CHARDEV,
 * $CONT, $CPUS, $MEM, $INFOMEM and $QUIT stand for the quoted id of the last such command the
 * session wrote. */
#include <errno.h>
#include <string.h>

#include "lib/qmp.h"
#include "lib/qmp_session.h"
#include "test_util.h"

enum op { OP_FEED, OP_CONNECTED, OP_COMMAND, OP_END };

struct step {
  enum op op;
  const char *line;   /* OP_FEED */
  enum qmp_cmd cmd;   /* OP_COMMAND */
  int want_r;         /* what the call returns */
  const char *want;   /* the actions, in order */
  enum qmp_step step; /* the session's step afterwards */
};

#define FEED(line, r, want, step)                                                                  \
  { OP_FEED, line, 0, r, want, step }
#define CONNECTED(r, want, step)                                                                   \
  { OP_CONNECTED, NULL, 0, r, want, step }
#define COMMAND(cmd, r, want, step)                                                                \
  { OP_COMMAND, NULL, cmd, r, want, step }
#define END                                                                                        \
  { OP_END, NULL, 0, 0, NULL, 0 }

#define GREETING                                                                                   \
  "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": 7}}, "               \
  "\"capabilities\": []}}"
#define OK(id) "{\"return\": {}, \"id\": " id "}"
#define CONSOLE_UP(id)                                                                             \
  "{\"return\": [{\"label\": \"ser0\", \"filename\": \"unix:/tmp/s,server=on\"}], \"id\": " id "}"
#define CONSOLE_DOWN(id)                                                                           \
  "{\"return\": [{\"label\": \"ser0\", \"filename\": \"disconnected:unix:/tmp/s,server=on\"}], "   \
  "\"id\": " id "}"
#define REFUSED(id)                                                                                \
  "{\"error\": {\"class\": \"GenericError\", \"desc\": \"fake refusal\"}, \"id\": " id "}"
#define EVENT(name)                                                                                \
  "{\"timestamp\": {\"seconds\": 1700000000, \"microseconds\": 5}, \"event\": \"" name "\"}"

/* The start-up up to t0, shared by the cases that go on from there. */
#define TO_RUNNING                                                                                 \
  FEED(GREETING, 0, "write qmp_capabilities; step capabilities", QMP_STEP_CAPABILITIES),           \
      FEED(OK("$CAPS"), 0, "step connect", QMP_STEP_CONNECT),                                      \
      CONNECTED(0, "write query-chardev; step console", QMP_STEP_CONSOLE),                         \
      FEED(CONSOLE_UP("$CHARDEV"), 0, "write cont; step cont", QMP_STEP_CONT),                     \
      FEED(OK("$CONT"), 0, "step running", QMP_STEP_RUNNING)

struct scenario {
  const char *name;
  struct step steps[24];
};

static const struct scenario scenarios[] = {
    {"greeting",
     {FEED(GREETING, 0, "write qmp_capabilities; step capabilities", QMP_STEP_CAPABILITIES), END}},
    {"start-up to t0", {TO_RUNNING, END}},
    {"console accepted late: query-chardev again",
     {FEED(GREETING, 0, "write qmp_capabilities; step capabilities", QMP_STEP_CAPABILITIES),
      FEED(OK("$CAPS"), 0, "step connect", QMP_STEP_CONNECT),
      CONNECTED(0, "write query-chardev; step console", QMP_STEP_CONSOLE),
      FEED(CONSOLE_DOWN("$CHARDEV"), 0, "write query-chardev", QMP_STEP_CONSOLE),
      FEED(CONSOLE_DOWN("$CHARDEV"), 0, "write query-chardev", QMP_STEP_CONSOLE),
      FEED(CONSOLE_UP("$CHARDEV"), 0, "write cont; step cont", QMP_STEP_CONT), END}},
    {"events during start-up change no step",
     {FEED(EVENT("STOP"), 0, "event STOP", QMP_STEP_GREETING),
      FEED(GREETING, 0, "write qmp_capabilities; step capabilities", QMP_STEP_CAPABILITIES),
      FEED(EVENT("NIC_RX_FILTER_CHANGED"), 0, "event NIC_RX_FILTER_CHANGED", QMP_STEP_CAPABILITIES),
      FEED(OK("$CAPS"), 0, "step connect", QMP_STEP_CONNECT),
      CONNECTED(0, "write query-chardev; step console", QMP_STEP_CONSOLE),
      FEED(CONSOLE_UP("$CHARDEV"), 0, "write cont; step cont", QMP_STEP_CONT),
      FEED(EVENT("RESUME"), 0, "event RESUME", QMP_STEP_CONT),
      FEED(OK("$CONT"), 0, "step running", QMP_STEP_RUNNING), END}},
    {"capabilities refused",
     {FEED(GREETING, 0, "write qmp_capabilities; step capabilities", QMP_STEP_CAPABILITIES),
      FEED(REFUSED("$CAPS"), 0, "step failed: QMP refused qmp_capabilities: fake refusal",
           QMP_STEP_FAILED),
      CONNECTED(-EINVAL, "", QMP_STEP_FAILED), COMMAND(QMP_CMD_QUIT, -EAGAIN, "", QMP_STEP_FAILED),
      END}},
    {"cont refused: the start-up fails, nothing runs",
     {FEED(GREETING, 0, "write qmp_capabilities; step capabilities", QMP_STEP_CAPABILITIES),
      FEED(OK("$CAPS"), 0, "step connect", QMP_STEP_CONNECT),
      CONNECTED(0, "write query-chardev; step console", QMP_STEP_CONSOLE),
      FEED(CONSOLE_UP("$CHARDEV"), 0, "write cont; step cont", QMP_STEP_CONT),
      FEED(REFUSED("$CONT"), 0, "step failed: QMP refused cont: fake refusal", QMP_STEP_FAILED),
      COMMAND(QMP_CMD_CPUS, -EAGAIN, "", QMP_STEP_FAILED), END}},
    {"error without a class names the description",
     {FEED(GREETING, 0, "write qmp_capabilities; step capabilities", QMP_STEP_CAPABILITIES),
      FEED("{\"error\": {\"class\": \"CommandNotFound\"}, \"id\": $CAPS}", 0,
           "step failed: QMP refused qmp_capabilities: CommandNotFound", QMP_STEP_FAILED),
      END}},
    {"out-of-order replies find their commands",
     {TO_RUNNING, COMMAND(QMP_CMD_CPUS, 0, "write query-cpus-fast", QMP_STEP_RUNNING),
      COMMAND(QMP_CMD_MEMORY, 0, "write query-memory-size-summary", QMP_STEP_RUNNING),
      COMMAND(QMP_CMD_INFO_MEM, 0, "write human-monitor-command", QMP_STEP_RUNNING),
      FEED("{\"return\": {\"base-memory\": 268435456}, \"id\": $MEM}", 0,
           "reply query-memory-size-summary", QMP_STEP_RUNNING),
      FEED("{\"return\": \"\", \"id\": $INFOMEM}", 0, "reply human-monitor-command",
           QMP_STEP_RUNNING),
      FEED("{\"return\": [{\"thread-id\": 42}], \"id\": $CPUS}", 0, "reply query-cpus-fast",
           QMP_STEP_RUNNING),
      FEED("{\"return\": [], \"id\": $CPUS}", -EPROTO, "", QMP_STEP_RUNNING), END}},
    {"unknown ids are refused and change nothing",
     {FEED(GREETING, 0, "write qmp_capabilities; step capabilities", QMP_STEP_CAPABILITIES),
      FEED(OK("\"nope\""), -EPROTO, "", QMP_STEP_CAPABILITIES),
      FEED("{\"return\": {}}", -EPROTO, "", QMP_STEP_CAPABILITIES),
      FEED("{\"error\": {\"class\": \"GenericError\", \"desc\": \"JSON parse error\"}}", -EPROTO,
           "", QMP_STEP_CAPABILITIES),
      FEED(OK("$CAPS"), 0, "step connect", QMP_STEP_CONNECT),
      FEED(OK("$CAPS"), -EPROTO, "", QMP_STEP_CONNECT), END}},
    {"a reply before the greeting",
     {FEED(OK("\"caps-1\""), -EPROTO, "", QMP_STEP_GREETING),
      FEED(REFUSED("\"cont-1\""), -EPROTO, "", QMP_STEP_GREETING),
      FEED(GREETING, 0, "write qmp_capabilities; step capabilities", QMP_STEP_CAPABILITIES),
      FEED(GREETING, -EPROTO, "", QMP_STEP_CAPABILITIES), END}},
    {"garbage and halves of lines",
     {FEED("", -EINVAL, "", QMP_STEP_GREETING),
      FEED("{\"QMP\": {\"version\"", -EINVAL, "", QMP_STEP_GREETING),
      FEED("\"capabilities\": []}}", -EINVAL, "", QMP_STEP_GREETING),
      FEED("[1, 2]", -EINVAL, "", QMP_STEP_GREETING),
      FEED("{\"something\": 1}", -EINVAL, "", QMP_STEP_GREETING),
      FEED(GREETING, 0, "write qmp_capabilities; step capabilities", QMP_STEP_CAPABILITIES), END}},
    {"SHUTDOWN and RESET after t0",
     {TO_RUNNING, FEED(EVENT("RESET"), 0, "event RESET", QMP_STEP_RUNNING),
      FEED(EVENT("SHUTDOWN"), 0, "event SHUTDOWN", QMP_STEP_RUNNING),
      FEED("{\"event\": \"SHUTDOWN\", \"data\": {\"guest\": true}}", 0, "event SHUTDOWN",
           QMP_STEP_RUNNING),
      END}},
    {"refusals after t0 go to the caller",
     {TO_RUNNING, COMMAND(QMP_CMD_CPUS, 0, "write query-cpus-fast", QMP_STEP_RUNNING),
      FEED(REFUSED("$CPUS"), 0, "error query-cpus-fast: QMP refused query-cpus-fast: fake refusal",
           QMP_STEP_RUNNING),
      COMMAND(QMP_CMD_QUIT, 0, "write quit", QMP_STEP_RUNNING),
      FEED(REFUSED("$QUIT"), 0, "error quit: QMP refused quit: fake refusal", QMP_STEP_RUNNING),
      END}},
    {"quit acknowledged",
     {TO_RUNNING, COMMAND(QMP_CMD_QUIT, 0, "write quit", QMP_STEP_RUNNING),
      FEED(OK("$QUIT"), 0, "reply quit", QMP_STEP_RUNNING),
      FEED(EVENT("SHUTDOWN"), 0, "event SHUTDOWN", QMP_STEP_RUNNING), END}},
    {"quit during start-up stops it before cont",
     {COMMAND(QMP_CMD_QUIT, -EAGAIN, "", QMP_STEP_GREETING),
      FEED(GREETING, 0, "write qmp_capabilities; step capabilities", QMP_STEP_CAPABILITIES),
      COMMAND(QMP_CMD_QUIT, -EAGAIN, "", QMP_STEP_CAPABILITIES),
      FEED(OK("$CAPS"), 0, "step connect", QMP_STEP_CONNECT),
      CONNECTED(0, "write query-chardev; step console", QMP_STEP_CONSOLE),
      COMMAND(QMP_CMD_QUIT, 0, "write quit", QMP_STEP_CONSOLE),
      FEED(CONSOLE_UP("$CHARDEV"), 0, "", QMP_STEP_CONSOLE),
      FEED(OK("$QUIT"), 0, "reply quit", QMP_STEP_CONSOLE), END}},
    {"calls out of turn",
     {CONNECTED(-EINVAL, "", QMP_STEP_GREETING),
      COMMAND(QMP_CMD_CONT, -EINVAL, "", QMP_STEP_GREETING),
      COMMAND(QMP_CMD_CPUS, -EAGAIN, "", QMP_STEP_GREETING), TO_RUNNING,
      CONNECTED(-EINVAL, "", QMP_STEP_RUNNING),
      COMMAND(QMP_CMD_CHARDEV, -EINVAL, "", QMP_STEP_RUNNING), END}},
};

struct harness {
  struct qmp_session session;
  char ids[QMP_CMD_QUIT + 1][32]; /* the last id written per command, quoted */
};

static const char *const placeholders[] = {
    [QMP_CMD_CAPABILITIES] = "$CAPS", [QMP_CMD_CHARDEV] = "$CHARDEV",
    [QMP_CMD_CONT] = "$CONT",         [QMP_CMD_CPUS] = "$CPUS",
    [QMP_CMD_MEMORY] = "$MEM",        [QMP_CMD_INFO_MEM] = "$INFOMEM",
    [QMP_CMD_QUIT] = "$QUIT",
};

/* Replaces the placeholders of line by the ids the session chose. */
static void expand(const struct harness *h, const char *line, char *out, size_t size) {
  size_t n = 0;
  while (*line && n + 1 < size) {
    size_t k = 0;
    for (; k <= QMP_CMD_QUIT; k++)
      if (strncmp(line, placeholders[k], strlen(placeholders[k])) == 0 &&
          !(line[strlen(placeholders[k])] >= 'A' && line[strlen(placeholders[k])] <= 'Z'))
        break;
    if (k <= QMP_CMD_QUIT) {
      n += (size_t)snprintf(out + n, size - n, "%s", h->ids[k]);
      line += strlen(placeholders[k]);
    } else {
      out[n++] = *line++;
    }
  }
  out[n < size ? n : size - 1] = '\0';
}

/* A WRITE must be one compact JSON command ending in a newline; its id is remembered for the
 * script. */
static const char *check_write(struct harness *h, const struct qmp_action *a) {
  size_t len = strlen(a->text);
  assert_true(len > 1 && a->text[len - 1] == '\n');
  json_auto_t *cmd = json_loadb(a->text, len - 1, 0, NULL);
  assert_non_null(cmd);
  const char *id = json_string_value(json_object_get(cmd, "id"));
  assert_non_null(id);
  snprintf(h->ids[a->cmd], sizeof h->ids[a->cmd], "\"%s\"", id);
  const char *execute = json_string_value(json_object_get(cmd, "execute"));
  assert_string_equal(execute, qmp_cmd_name(a->cmd));
  return qmp_cmd_name(a->cmd);
}

static void describe(struct harness *h, const struct qmp_actions *acts, char *out, size_t size) {
  size_t n = 0;
  out[0] = '\0';
  for (size_t i = 0; i < acts->n && n < size; i++) {
    const struct qmp_action *a = &acts->v[i];
    const char *sep = i ? "; " : "";
    if (a->kind == QMP_ACT_WRITE)
      n += (size_t)snprintf(out + n, size - n, "%swrite %s", sep, check_write(h, a));
    else if (a->kind == QMP_ACT_STEP)
      n += (size_t)snprintf(out + n, size - n, "%sstep %s%s%s", sep, qmp_step_name(a->step),
                            a->text ? ": " : "", a->text ? a->text : "");
    else if (a->kind == QMP_ACT_EVENT)
      n += (size_t)snprintf(out + n, size - n, "%sevent %s", sep, a->text);
    else if (a->kind == QMP_ACT_REPLY)
      n += (size_t)snprintf(out + n, size - n, "%sreply %s", sep, qmp_cmd_name(a->cmd));
    else
      n +=
          (size_t)snprintf(out + n, size - n, "%serror %s: %s", sep, qmp_cmd_name(a->cmd), a->text);
  }
}

static int run_step(struct harness *h, const struct step *st, struct qmp_actions *acts) {
  char line[1024];
  switch (st->op) {
  case OP_FEED:
    expand(h, st->line, line, sizeof line);
    return qmp_session_feed(&h->session, line, strlen(line), acts);
  case OP_CONNECTED: return qmp_session_console_connected(&h->session, acts);
  default: return qmp_session_command(&h->session, st->cmd, acts);
  }
}

static void run_scenario(const struct scenario *sc) {
  struct harness h = {0};
  qmp_session_init(&h.session);
  for (size_t i = 0; sc->steps[i].op != OP_END; i++) {
    const struct step *st = &sc->steps[i];
    _cleanup_(qmp_actions_clear) struct qmp_actions acts = {0};
    int r = run_step(&h, st, &acts);
    char got[2048];
    describe(&h, &acts, got, sizeof got);
    if (r != st->want_r || strcmp(got, st->want) != 0 || h.session.step != st->step)
      fail_msg("%s, step %zu: got %d \"%s\" at %s; want %d \"%s\" at %s", sc->name, i, r, got,
               qmp_step_name(h.session.step), st->want_r, st->want, qmp_step_name(st->step));
  }
  qmp_session_clear(&h.session);
}

static void scripted_sessions(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++)
    run_scenario(&scenarios[i]);
}

/* Events carry QEMU's wall-clock stamp through. */
static void event_keeps_its_stamp(void **state) {
  (void)state;
  struct qmp_session s;
  qmp_session_init(&s);
  _cleanup_(qmp_actions_clear) struct qmp_actions acts = {0};
  assert_int_equal(qmp_session_feed(&s, EVENT("SHUTDOWN"), strlen(EVENT("SHUTDOWN")), &acts), 0);
  assert_int_equal(acts.n, 1);
  assert_int_equal(acts.v[0].wall_us, 1700000000000005LL);
}

static void feed(struct qmp_session *s, const char *line, struct qmp_actions *acts) {
  assert_int_equal(qmp_session_feed(s, line, strlen(line), acts), 0);
}

/* The id of the last command written (the session's choice). */
static void last_id(const struct qmp_actions *acts, char *out, size_t size) {
  const struct qmp_action *a = NULL;
  for (size_t i = 0; i < acts->n; i++)
    if (acts->v[i].kind == QMP_ACT_WRITE)
      a = &acts->v[i];
  assert_non_null(a);
  json_auto_t *cmd = json_loads(a->text, 0, NULL);
  snprintf(out, size, "%s", json_string_value(json_object_get(cmd, "id")));
}

/* A QEMU that never accepts the console ends the start-up after QMP_SESSION_CONSOLE_CHECKS answers.
 */
static void console_never_accepted(void **state) {
  (void)state;
  struct qmp_session s;
  qmp_session_init(&s);
  _cleanup_(qmp_actions_clear) struct qmp_actions acts = {0};
  char id[32], line[256];
  feed(&s, GREETING, &acts);
  last_id(&acts, id, sizeof id);
  snprintf(line, sizeof line, "{\"return\": {}, \"id\": \"%s\"}", id);
  feed(&s, line, &acts);
  assert_int_equal(qmp_session_console_connected(&s, &acts), 0);
  for (int i = 0; i < QMP_SESSION_CONSOLE_CHECKS; i++) {
    assert_int_equal(s.step, QMP_STEP_CONSOLE);
    last_id(&acts, id, sizeof id);
    qmp_actions_clear(&acts);
    snprintf(
        line, sizeof line,
        "{\"return\": [{\"label\": \"ser0\", \"filename\": \"disconnected:x\"}], \"id\": \"%s\"}",
        id);
    feed(&s, line, &acts);
  }
  assert_int_equal(s.step, QMP_STEP_FAILED);
  assert_int_equal(acts.n, 1);
  assert_string_equal(acts.v[0].text, "QEMU did not accept the serial console connection");
}

/* The table of pending commands is bounded: a peer that answers nothing cannot grow it. */
static void pending_table_is_bounded(void **state) {
  (void)state;
  struct qmp_session s = {.step = QMP_STEP_RUNNING};
  _cleanup_(qmp_actions_clear) struct qmp_actions acts = {0};
  for (int i = 0; i < QMP_SESSION_MAX_PENDING; i++)
    assert_int_equal(qmp_session_command(&s, QMP_CMD_CPUS, &acts), 0);
  assert_int_equal(qmp_session_command(&s, QMP_CMD_CPUS, &acts), -ENOBUFS);
  assert_int_equal(acts.n, QMP_SESSION_MAX_PENDING);
  /* Every id differs. */
  for (size_t i = 0; i < acts.n; i++)
    for (size_t j = i + 1; j < acts.n; j++)
      assert_string_not_equal(acts.v[i].text, acts.v[j].text);
}

struct framed {
  struct qmp_session *s;
  struct qmp_actions *acts;
  int bad;
};

static void on_line(void *userdata, const char *line, size_t len) {
  struct framed *f = userdata;
  if (qmp_session_feed(f->s, line, len, f->acts) < 0)
    f->bad++;
}

/* Lines as QEMU writes them (CRLF), cut at every point, through the framer: the same start-up. */
static void split_lines_through_the_framer(void **state) {
  (void)state;
  const char stream[] = GREETING "\r\n" EVENT("STOP") "\r\n";
  for (size_t cut = 0; cut <= sizeof stream - 1; cut++) {
    struct qmp_session s;
    qmp_session_init(&s);
    struct qmp_framer fr = {0};
    _cleanup_(qmp_actions_clear) struct qmp_actions acts = {0};
    struct framed f = {&s, &acts, 0};
    assert_int_equal(qmp_framer_feed(&fr, stream, cut, on_line, &f), 0);
    assert_int_equal(qmp_framer_feed(&fr, stream + cut, sizeof stream - 1 - cut, on_line, &f), 0);
    assert_int_equal(f.bad, 0);
    assert_int_equal(s.step, QMP_STEP_CAPABILITIES);
    assert_int_equal(acts.n, 3); /* write, step, event */
    assert_string_equal(acts.v[2].text, "STOP");
    qmp_framer_clear(&fr);
  }
}

static void reply_helpers(void **state) {
  (void)state;
  json_auto_t *cpus = json_loads(
      "[{\"thread-id\": 11}, {\"cpu-index\": 1}, {\"thread-id\": 13}, {\"thread-id\": 14}]", 0,
      NULL);
  int tids[2];
  assert_int_equal(qmp_session_vcpu_tids(cpus, tids, 2), 2);
  assert_int_equal(tids[0], 11);
  assert_int_equal(tids[1], 13);
  assert_int_equal(qmp_session_vcpu_tids(NULL, tids, 2), 0);
  json_auto_t *mem = json_loads("{\"base-memory\": 536870912, \"plugged-memory\": 0}", 0, NULL);
  assert_int_equal(qmp_session_ram_mb(mem), 512);
  json_auto_t *none = json_loads("{\"base-memory\": \"x\"}", 0, NULL);
  assert_int_equal(qmp_session_ram_mb(none), -1);
  json_auto_t *devs = json_loads(
      "[{\"label\": \"gdb0\", \"filename\": \"unix:g\"}, {\"label\": \"ser0\"}]", 0, NULL);
  assert_false(
      qmp_session_console_accepted(devs)); /* ser0 without a filename: not known to be connected */
  assert_false(qmp_session_console_accepted(NULL));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(scripted_sessions),
      cmocka_unit_test(event_keeps_its_stamp),
      cmocka_unit_test(console_never_accepted),
      cmocka_unit_test(pending_table_is_bounded),
      cmocka_unit_test(split_lines_through_the_framer),
      cmocka_unit_test(reply_helpers),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The scenario runner: the shipped minix-setup scenario against the installer's
 * prompts (shared/minix/console-reference.md; synthetic text, not a capture of
 * MINIX) in a fixed and a varied order, split at awkward places, and against the
 * real MINIX 3.4 setup (a captured console); failures by timeout, unanswered
 * prompt, failure text and early exit; definition errors. */
#include <errno.h>
#include <string.h>

#include "lib/bootspec.h"
#include "lib/guest_memory.h"
#include "lib/scenario.h"
#include "test_util.h"

struct recorder {
  char sent[4096];
  char progress[4096];
  char captured[4096];
  int n_sends;
};

static void rec_send(void *u, const char *text, size_t len) {
  struct recorder *r = u;
  strncat(r->sent, text, len);
  r->n_sends++;
}

static void rec_progress(void *u, const char *step, const char *text, int64_t t) {
  struct recorder *r = u;
  (void)t;
  char line[256];
  snprintf(line, sizeof line, "%s:%s|", step, text);
  strncat(r->progress, line, sizeof r->progress - strlen(r->progress) - 1);
}

static void rec_captured(void *u, const char *step, const char *text, int64_t t) {
  struct recorder *r = u;
  (void)t;
  strncat(r->captured, step, sizeof r->captured - strlen(r->captured) - 1);
  strncat(r->captured, "=", sizeof r->captured - strlen(r->captured) - 1);
  strncat(r->captured, text, sizeof r->captured - strlen(r->captured) - 1);
  strncat(r->captured, "|", sizeof r->captured - strlen(r->captured) - 1);
}

static const struct scenario_callbacks cbs = {rec_send, rec_progress, rec_captured};

/* Feeds text in 3-byte pieces: prompts must match however the reads split them. */
static void feed_split(struct scenario_run *run, const char *text, int64_t t) {
  for (size_t i = 0; i < strlen(text); i += 3)
    scenario_feed(run, text + i, strlen(text + i) < 3 ? strlen(text + i) : 3, t);
}

/* Each prompt, then the answer the scenario must have sent by then. */
struct exchange {
  const char *out, *answer;
};

static void play(struct scenario_run *run, struct recorder *rec, const struct exchange *ex,
                 size_t n) {
  for (size_t i = 0; i < n; i++) {
    rec->sent[0] = '\0';
    feed_split(run, ex[i].out, (int64_t)i * 1000000);
    assert_int_equal(scenario_state(run), SCENARIO_RUNNING);
    if (strcmp(rec->sent, ex[i].answer) != 0)
      fail_msg("after \"%s\" expected to send \"%s\", sent \"%s\"", ex[i].out, ex[i].answer,
               rec->sent);
  }
}

static const struct exchange before_setup[] = {
    {"Starting daemons: update cron.\r\n\r\nMinix/i386 (minix) (console)\r\n\r\nlogin: ", "root\r"},
    {"root\r\n# ", "setup\r"},
    {"setup\r\n\r\nWelcome to the MINIX 3 setup script.\r\nsome text\r\n:", "\r"},
};

static const struct exchange after_setup[] = {
    {"\r\nPlease type 'shutdown -r now' to exit MINIX 3 and enter the boot monitor.\r\n# ",
     "mount /dev/c0d0p0s0 /mnt\r"},
    {"mount /dev/c0d0p0s0 /mnt\r\n/dev/c0d0p0s0 is read-write mounted on /mnt\r\n# ",
     "sed 's/rootdevname=/console=tty00 rootdevname=/' /mnt/boot.cfg > /tmp/boot.cfg && cp "
     "/tmp/boot.cfg "
     "/mnt/boot.cfg\r"},
    {"sed ...\r\n# ", "cat /mnt/boot.cfg\r"},
    {"cat /mnt/boot.cfg\r\nmenu=Start MINIX 3:multiboot /boot/minix_default/kernel console=tty00 "
     "rootdevname=c0d0p0s0\r\n# ",
     "umount /mnt\r"},
    {"umount /mnt\r\n# ", "poweroff\r"},
    {"poweroff\r\nMINIX will now be shut down ...\r\n", ""},
};

static struct scenario_run *start(struct scenario **sc, struct recorder *rec) {
  struct ma_error err = {0};
  assert_int_equal(scenario_builtin("minix-setup", sc, &err), 0);
  memset(rec, 0, sizeof *rec);
  return scenario_run_new(*sc, &cbs, rec, 0);
}

static void finish(struct scenario *sc, struct scenario_run *run, struct recorder *rec) {
  play(run, rec, after_setup, sizeof after_setup / sizeof after_setup[0]);
  scenario_guest_exited(run, 99000000);
  assert_int_equal(scenario_state(run), SCENARIO_DONE);
  assert_null(scenario_error_code(run));
  scenario_run_free(run);
  scenario_free(sc);
}

static void setup_in_the_reference_order(void **state) {
  (void)state;
  struct scenario *sc;
  struct recorder rec;
  struct scenario_run *run = start(&sc, &rec);
  play(run, &rec, before_setup, 3);
  static const struct exchange dialogue[] = {
      {"\r\nKeyboard type? [us-std] ", "\r"},
      {"\r\nPress ENTER for automatic mode, or type 'expert': ", "\r"},
      {"\r\n Found the following disk(s):\r\n  0. c0d0 512 MB\r\nEnter the disk number to use: "
       "[0] ",
       "\r"},
      {"\r\nEnter the region number to use or type 'delete':  [0] ", "\r"},
      {"\r\nAre you sure you want to continue?  Please enter 'yes' or 'no': ", "yes\r"},
      {"yes\r\nHow big do you want your /home to be in MB (0-384) ? [76] ", "0\r"},
      {"0\r\nBlock size in kilobytes? [4] ", "\r"},
      {"\r\nAll files will now be copied to your hard disk.\r\nExtracting "
       "base.tgz...\r\nExtracting comp.tgz...\r\n"
       "Creating device nodes...\r\nInterface choice? ",
       "\r"},
      {"\r\nConfiguration choice? ", "\r"},
      {"\r\nMenu choice? ", "\r"},
  };
  play(run, &rec, dialogue, sizeof dialogue / sizeof dialogue[0]);
  assert_non_null(
      strstr(rec.progress, "setup:extracting base|setup:extracting comp|setup:device nodes|"));
  assert_non_null(
      strstr(rec.progress, "login:step started|start-setup:step started|setup:step started|"));
  finish(sc, run, &rec);
}

/* Feeds a console log as reads that end where a prompt may wait for its answer: after every line,
 * and after ": ", "? " (unless a "[default] " follows), "] ", "# " and a ":" or "?" that ends a
 * line (the echo of the answer follows). A prompt and its default arrive in one read, as the real
 * MINIX writes them. */
static void feed_as_prompts(struct scenario_run *run, const char *log, size_t len) {
  size_t from = 0;
  for (size_t i = 0; i < len; i++) {
    bool gap = i + 1 < len && log[i + 1] == ' ' && strchr(":?]#", log[i]) &&
               !(i + 2 < len && log[i + 2] == '[');
    bool eol =
        log[i] == '\n' || ((log[i] == ':' || log[i] == '?') && i + 1 < len && log[i + 1] == '\r');
    size_t end = gap ? i + 2 : eol ? i + 1 : 0;
    if (end && end > from) {
      scenario_feed(run, log + from, end - from, (int64_t)from);
      from = end;
    }
  }
  scenario_feed(run, log + from, len - from, (int64_t)len);
}

/* The real MINIX 3.4 setup, captured by an install run on the real CD (tests/data/README.md): every
 * question answered, the console put on tty00 in the new /boot.cfg, power off. Its prompt is
 * "minix# ", which the scenario's steps after setup once expected at the start of a line. */
static void setup_on_the_real_minix(void **state) {
  (void)state;
  struct scenario *sc;
  struct recorder rec;
  struct scenario_run *run = start(&sc, &rec);
  size_t len;
  char *log = test_read_data("minix-3.4-real-setup-session.serial", &len);
  feed_as_prompts(run, log, len);
  free(log);
  const char *want = "root\rsetup\r\r\r\r\r\ryes\r0\r\r\rmount /dev/c0d0p0s0 /mnt\r"
                     "sed 's/rootdevname=/console=tty00 rootdevname=/' /mnt/boot.cfg > "
                     "/tmp/boot.cfg && cp /tmp/boot.cfg "
                     "/mnt/boot.cfg\rcat /mnt/boot.cfg\rumount /mnt\rpoweroff\r";
  if (strcmp(rec.sent, want) != 0)
    fail_msg("sent \"%s\"", rec.sent);
  assert_non_null(strstr(
      rec.progress, "setup:keyboard|setup:automatic mode|setup:disk|setup:region|setup:confirmed|"
                    "setup:home size|setup:block size|setup:copying files|"
                    "setup:extracting minix-base|setup:extracting minix-comp|"
                    "setup:extracting minix-games|setup:extracting minix-kernel|"
                    "setup:extracting minix-man|setup:device nodes|setup:network interface|"));
  scenario_guest_exited(run, (int64_t)len + 1);
  assert_int_equal(scenario_state(run), SCENARIO_DONE);
  scenario_run_free(run);
  scenario_free(sc);
}

static void setup_in_another_order_with_conditional_prompts(void **state) {
  (void)state;
  struct scenario *sc;
  struct recorder rec;
  struct scenario_run *run = start(&sc, &rec);
  play(run, &rec, before_setup, 3);
  static const struct exchange dialogue[] = {
      {"\r\nmore text\r\n:", "\r"},
      {"\r\nKeyboard type? [us-std] ", "\r"},
      {"\r\nPress ENTER for automatic mode, or type 'expert': ", "\r"},
      {"\r\nEnter the disk number to use: [0] ", "\r"},
      {"\r\nDo you want to install new MBR into c0d0? [Y] ", "\r"},
      {"\r\n(F)ull or (R)einstall? [R] ", "\r"},
      {"\r\nEnter the region number to use or\r\ntype 'delete':  [0] ", "\r"},
      {"\r\nAre you sure you want to continue?  Please enter 'yes' or 'no': ", "yes\r"},
      {"yes\r\nHow big do you want your /home to be in MB (0-384) ? [76] ", "0\r"},
      {"0\r\n76 MB Ok? [Y] ", "\r"},
      {"\r\nBlock size in kilobytes? [4] ", "\r"},
      {"\r\nMenu choice? ", "\r"},
      {"\r\nInterface choice? ", "\r"},
      {"\r\nConfiguration choice? ", "\r"},
  };
  play(run, &rec, dialogue, sizeof dialogue / sizeof dialogue[0]);
  finish(sc, run, &rec);
}

static json_t *small(double stall_s) {
  return json_pack("{s:s, s:[{s:s, s:s, s:s}, {s:s, s:s, s:s, s:f, s:f, s:[{s:s, s:s}]}]}", "name",
                   "small", "steps", "name", "hello", "expect", "hello$", "send", "hi\r", "name",
                   "talk", "until", "bye", "fail", "PANIC", "timeout_s", 10.0, "stall_s", stall_s,
                   "answers", "match", "Name\\? $", "send", "x\r");
}

static struct scenario_run *start_small(double stall_s, struct scenario **sc,
                                        struct recorder *rec) {
  json_t *def = small(stall_s);
  struct ma_error err = {0};
  assert_int_equal(scenario_parse(def, sc, &err), 0);
  json_decref(def);
  memset(rec, 0, sizeof *rec);
  struct scenario_run *run = scenario_run_new(*sc, &cbs, rec, 0);
  scenario_feed(run, "hello", 5, 1000);
  assert_string_equal(rec->sent, "hi\r");
  return run;
}

static void end_small(struct scenario *sc, struct scenario_run *run, const char *code,
                      const char *in_message) {
  assert_int_equal(scenario_state(run), SCENARIO_FAILED);
  assert_string_equal(scenario_error_code(run), code);
  if (!strstr(scenario_error_message(run), in_message))
    fail_msg("\"%s\" not in \"%s\"", in_message, scenario_error_message(run));
  json_t *st = scenario_status(run);
  assert_string_equal(json_string_value(json_object_get(st, "state")), "failed");
  json_decref(st);
  scenario_run_free(run);
  scenario_free(sc);
}

static void an_unanswered_prompt_fails_after_the_stall(void **state) {
  (void)state;
  struct scenario *sc;
  struct recorder rec;
  struct scenario_run *run = start_small(2.0, &sc, &rec);
  scenario_feed(run, "\r\nInstall a pony? [n] ", 22, 2000000);
  scenario_tick(run, 3900000);
  assert_int_equal(scenario_state(run), SCENARIO_RUNNING);
  scenario_tick(run, 4100000);
  end_small(sc, run, "unexpected_prompt", "step talk: the guest asks \"Install a pony? [n] \"");
}

static void output_that_is_no_prompt_does_not_stall(void **state) {
  (void)state;
  struct scenario *sc;
  struct recorder rec;
  struct scenario_run *run = start_small(2.0, &sc, &rec);
  scenario_feed(run, "\r\nExtracting base.tgz...\r\n", 26, 2000000);
  scenario_tick(run, 9000000);
  assert_int_equal(scenario_state(run), SCENARIO_RUNNING);
  scenario_tick(run, 11500000);
  end_small(sc, run, "scenario_timeout", "step talk: waited 10.0 s for bye");
}

static void failure_text_ends_the_scenario(void **state) {
  (void)state;
  struct scenario *sc;
  struct recorder rec;
  struct scenario_run *run = start_small(0, &sc, &rec);
  scenario_feed(run, "Name? ", 6, 2000);
  assert_string_equal(rec.sent, "hi\rx\r");
  scenario_feed(run, "x\r\nkernel PANIC here\r\nbye", 25, 3000);
  end_small(sc, run, "scenario_failed", "\"PANIC\"");
}

static void terminal_escapes_are_not_text(void **state) {
  (void)state;
  struct scenario *sc;
  struct recorder rec;
  struct scenario_run *run = start_small(0, &sc, &rec);
  /* busybox ash asks for the cursor position right after its prompt. */
  scenario_feed(run, "\x1b[1mName?\x1b[0m \x1b[6n", 18, 2000);
  assert_string_equal(rec.sent, "hi\rx\r");
  scenario_feed(run, "bye", 3, 3000);
  assert_int_equal(scenario_state(run), SCENARIO_DONE);
  scenario_run_free(run);
  scenario_free(sc);
}

static void an_early_exit_fails(void **state) {
  (void)state;
  struct scenario *sc;
  struct recorder rec;
  struct scenario_run *run = start_small(0, &sc, &rec);
  scenario_feed(run, "\r\nlast words", 12, 2000);
  scenario_guest_exited(run, 3000);
  end_small(sc, run, "guest_exited", "last output was \"last words\"");
}

static void check_bad(json_t *def, const char *field) {
  struct scenario *sc = NULL;
  struct ma_error err = {0};
  assert_int_equal(scenario_parse(def, &sc, &err), -EINVAL);
  assert_null(sc);
  assert_string_equal(err.code, "invalid_scenario");
  if (strcmp(err.field, field) != 0)
    fail_msg("expected field %s, got %s (%s)", field, err.field, err.message);
  json_decref(def);
}

static void bad_definitions_name_the_field(void **state) {
  (void)state;
  check_bad(json_pack("{s:[]}", "steps"), "name");
  check_bad(json_pack("{s:s, s:[]}", "name", "x", "steps"), "steps");
  check_bad(json_pack("{s:s, s:[{s:s, s:s, s:s}]}", "name", "x", "steps", "name", "a", "expect",
                      "(", "send", "y"),
            "expect");
  check_bad(json_pack("{s:s, s:[{s:s, s:s, s:s}]}", "name", "x", "steps", "name", "a", "expect",
                      "x", "sned", "y"),
            "sned");
  check_bad(json_pack("{s:s, s:[{s:s, s:s, s:s}]}", "name", "x", "steps", "name", "a", "expect",
                      "x", "until", "y"),
            "steps");
  check_bad(json_pack("{s:s, s:[{s:s, s:s}]}", "name", "x", "steps", "name", "a", "until", "y"),
            "answers");
  check_bad(json_pack("{s:s, s:[{s:s, s:s, s:i}]}", "name", "x", "steps", "name", "a", "expect",
                      "x", "timeout_s", -1),
            "timeout_s");
  check_bad(json_pack("{s:s, s:[{s:s, s:b}]}", "name", "x", "steps", "name", "a", "expect_exit", 0),
            "expect_exit");
  struct scenario *sc = NULL;
  struct ma_error err = {0};
  assert_int_equal(scenario_builtin("no-such", &sc, &err), -ENOENT);
  assert_string_equal(err.field, "scenario");
  json_t *names = scenario_builtin_names();
  assert_string_equal(json_string_value(json_array_get(names, 0)), "minix-setup");
  json_decref(names);
}

/* The guest-memory scenario on the real MINIX 3.4's console
 * (tests/data/minix-3.4-real-meminfo-session.serial): its shell prompt is "minix# " after NUL
 * bytes, and its /proc/meminfo is one line of page counts, "pagesize total free largest cached". */
static void guest_memory_on_the_real_minix(void **state) {
  (void)state;
  struct scenario *sc;
  struct ma_error err = {0};
  json_t *def = guest_memory_scenario(1000);
  assert_int_equal(scenario_parse(def, &sc, &err), 0);
  json_decref(def);
  size_t len;
  char *log = test_read_data("minix-3.4-real-meminfo-session.serial", &len);
  struct recorder rec = {0};
  struct scenario_run *run = scenario_run_new(sc, &cbs, &rec, 0);
  /* As it came: up to the login prompt, up to the shell prompt (the sampling starts there), the
   * rest. */
  const char *login = memmem(log, len, "login: ", 7), *prompt = memmem(log, len, "minix# ", 7);
  assert_true(login && prompt && login < prompt);
  scenario_feed(run, log, (size_t)(login + 7 - log), 500000);
  assert_string_equal(rec.sent, "root\r");
  scenario_feed(run, login + 7, (size_t)(prompt - login), 1000000);
  scenario_tick(run, 2100000);
  assert_non_null(strstr(rec.sent, "cat /proc/meminfo"));
  scenario_feed(run, prompt + 7, len - (size_t)(prompt + 7 - log), 2500000);
  const char *sample = "meminfo=4096 65391 49841 49719 118\n|";
  assert_true(strncmp(rec.captured, sample, strlen(sample)) == 0);
  free(log);
  json_t *v = guest_memory_parse("4096 65391 49841 49719 118\n");
  assert_int_equal(json_object_size(v), 4);
  assert_int_equal(json_integer_value(json_object_get(v, "MemTotal")),
                   65391 * 4); /* 4096-byte pages, in kB */
  assert_int_equal(json_integer_value(json_object_get(v, "MemFree")), 49841 * 4);
  assert_int_equal(json_integer_value(json_object_get(v, "LargestFree")), 49719 * 4);
  assert_int_equal(json_integer_value(json_object_get(v, "Cached")), 118 * 4);
  json_decref(v);
  /* Not MINIX's line: a page size that is none, a count too few or too many, a second line to
   * complete it. */
  const char *bad[] = {"7 65391 49841 49719 118\n", "4096 65391 49841 49719\n",
                       "4096 65391 49841 49719 118 5\n", "4096 65391 49841\n49719 118\n",
                       "4096 -1 49841 49719 118\n"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    assert_null(guest_memory_parse(bad[i]));
  scenario_run_free(run);
  scenario_free(sc);
}

/* A step of n answers (each matching "x"), or a scenario of n such expect steps. */
static json_t *many(const char *what, size_t n) {
  json_t *list = json_array();
  for (size_t i = 0; i < n; i++)
    json_array_append_new(list, strcmp(what, "answers") == 0
                                    ? json_pack("{s:s}", "match", "x")
                                    : json_pack("{s:s, s:s}", "name", "s", "expect", "x"));
  if (strcmp(what, "steps") == 0)
    return json_pack("{s:s, s:o}", "name", "x", "steps", list);
  return json_pack("{s:s, s:[{s:s, s:s, s:o}]}", "name", "x", "steps", "name", "a", "until", "y",
                   "answers", list);
}

/* Issue 13, finding 6: a dialogue step tries every answer on every read, so answers and steps are
 * capped, and a boot request beyond a cap is refused with a 400 naming the field. */
static void answers_and_steps_are_capped(void **state) {
  (void)state;
  struct scenario *sc = NULL;
  struct ma_error err = {0};
  json_t *def = many("answers", SCENARIO_MAX_ANSWERS);
  assert_int_equal(scenario_parse(def, &sc, &err), 0);
  scenario_free(sc);
  json_decref(def);
  def = many("steps", SCENARIO_MAX_STEPS);
  assert_int_equal(scenario_parse(def, &sc, &err), 0);
  scenario_free(sc);
  json_decref(def);
  check_bad(many("answers", SCENARIO_MAX_ANSWERS + 1), "answers");
  check_bad(many("steps", SCENARIO_MAX_STEPS + 1), "steps");
  struct bootspec_env env;
  char kernel[256];
  assert_int_equal(test_boot_env(&env, kernel, sizeof kernel), 0);
  const char *const what[] = {"answers", "steps"};
  const size_t n[] = {SCENARIO_MAX_ANSWERS + 1, SCENARIO_MAX_STEPS + 1};
  for (size_t i = 0; i < 2; i++) {
    json_t *req = json_pack("{s:s, s:s, s:o}", "kernel", kernel, "profile", "linux", "scenario",
                            many(what[i], n[i]));
    char *body = json_dumps(req, 0);
    struct boot_spec *spec = NULL;
    assert_int_equal(bootspec_parse(body, strlen(body), &env, &spec, &err), -EINVAL);
    assert_null(spec);
    assert_int_equal(err.errnum, EINVAL);
    assert_string_equal(err.code, "invalid_scenario");
    assert_string_equal(err.field, what[i]);
    char want[64];
    snprintf(want, sizeof want, "%zu %s, more than the %zu allowed", n[i], what[i], n[i] - 1);
    assert_non_null(strstr(err.message, want));
    free(body);
    json_decref(req);
  }
  profile_set_free((struct profile_set *)env.profiles);
}

/* Every answer of a step is tried on every read: with answers that backtrack without end, each
 * read still costs little (PCRE2's default limit took about 23 ms per answer and read), they count
 * as no match, and the step's own end is still found. */
static void pathological_answers_cost_little_per_read(void **state) {
  (void)state;
  json_t *answers = json_array();
  for (int i = 0; i < SCENARIO_MAX_ANSWERS; i++)
    json_array_append_new(answers, json_pack("{s:s, s:s}", "match", "^(.+)+[XY]$", "send", "no\r"));
  json_t *def = json_pack("{s:s, s:[{s:s, s:s, s:s, s:o}]}", "name", "p", "steps", "name", "talk",
                          "until", "done", "fail", "^(.+)+[XY]$|aborted", "answers", answers);
  struct scenario *sc;
  struct ma_error err = {0};
  assert_int_equal(scenario_parse(def, &sc, &err), 0);
  json_decref(def);
  struct recorder rec = {0};
  struct scenario_run *run = scenario_run_new(sc, &cbs, &rec, 0);
  char read[4096];
  size_t len = 0;
  while (len + 81 < sizeof read) {
    memset(read + len, 'a', 80);
    read[len + 80] = '\n';
    len += 81;
  }
  int64_t worst = 0;
  for (int i = 0; i < 20; i++) {
    int64_t t0 = util_mono_us();
    scenario_feed(run, read, len, i);
    int64_t took = util_mono_us() - t0;
    if (took > 250000)
      fail_msg("read %d took %lld us", i, (long long)took);
    worst = took > worst ? took : worst;
  }
  assert_int_equal(scenario_state(run), SCENARIO_RUNNING);
  assert_int_equal(rec.n_sends, 0);
  /* All of them gave up on most reads: not on those after the full buffer dropped its first half
   * mid-line, where the first line is too short to reach the limit. */
  assert_true(scenario_gave_up(run) >= 10 * (SCENARIO_MAX_ANSWERS + 1));
  scenario_feed(run, "done\n", 5, 100);
  assert_int_equal(scenario_state(run), SCENARIO_DONE);
  print_message("worst read with %d answers and a fail pattern that backtrack: %lld us\n",
                SCENARIO_MAX_ANSWERS, (long long)worst);
  scenario_run_free(run);
  scenario_free(sc);
}

/* The guest-memory scenario: a poll step sends its command every interval and hands over each
 * capture. */
static void a_poll_step_samples_until_the_guest_stops(void **state) {
  (void)state;
  struct scenario *sc;
  struct ma_error err = {0};
  json_t *def = guest_memory_scenario(500);
  assert_int_equal(scenario_parse(def, &sc, &err), 0);
  json_decref(def);
  struct recorder rec = {0};
  struct scenario_run *run = scenario_run_new(sc, &cbs, &rec, 0);
  feed_split(run, "\r\nminix-analysis-linux-guest login: ", 1000);
  feed_split(run, "root\r\n# ", 2000);
  rec.sent[0] = '\0';
  scenario_tick(run, 2100000);
  assert_non_null(strstr(rec.sent, "cat /proc/meminfo"));
  scenario_tick(run, 2300000); /* not yet: every 0.5 s */
  assert_int_equal(rec.n_sends, 2);
  /* The echo of the command line holds MA-MEM-""END, which must not close the capture. */
  feed_split(run,
             "echo MA-MEM-BEGIN; cat /proc/meminfo; echo MA-MEM-\"\"END\r\nMA-MEM-BEGIN\r\n"
             "MemTotal:         222552 kB\r\nMemFree:          190000 kB\r\nMA-MEM-END\r\n# ",
             2400000);
  assert_string_equal(rec.captured,
                      "meminfo=MemTotal:         222552 kB\nMemFree:          190000 kB\n|");
  scenario_tick(run, 2700000);
  assert_int_equal(rec.n_sends, 3);
  json_t *v = guest_memory_parse(
      "MemTotal:         222552 kB\nMemFree:          190000 kB\nHugePages_Total:       0\n");
  assert_int_equal(json_integer_value(json_object_get(v, "MemTotal")), 222552);
  assert_int_equal(json_integer_value(json_object_get(v, "HugePages_Total")), 0);
  assert_int_equal(json_object_size(v), 3);
  json_decref(v);
  assert_null(guest_memory_parse("cat: can't open '/proc/meminfo': No such file or directory\n"));
  assert_int_equal(scenario_state(run), SCENARIO_RUNNING);
  scenario_guest_exited(run, 3000000);
  assert_int_equal(scenario_state(run), SCENARIO_DONE);
  scenario_run_free(run);
  scenario_free(sc);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(setup_in_the_reference_order),
      cmocka_unit_test(setup_in_another_order_with_conditional_prompts),
      cmocka_unit_test(an_unanswered_prompt_fails_after_the_stall),
      cmocka_unit_test(output_that_is_no_prompt_does_not_stall),
      cmocka_unit_test(failure_text_ends_the_scenario),
      cmocka_unit_test(an_early_exit_fails),
      cmocka_unit_test(terminal_escapes_are_not_text),
      cmocka_unit_test(a_poll_step_samples_until_the_guest_stops),
      cmocka_unit_test(setup_on_the_real_minix),
      cmocka_unit_test(guest_memory_on_the_real_minix),
      cmocka_unit_test(bad_definitions_name_the_field),
      cmocka_unit_test(answers_and_steps_are_capped),
      cmocka_unit_test(pathological_answers_cost_little_per_read),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

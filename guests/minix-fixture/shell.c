/* The fixture's root shell (not MINIX's): the few commands an unattended
 * install and a trace need (setup, mount, a literal sed on /mnt/boot.cfg, cat,
 * umount, trace, echo with $?, poweroff; commands separated by "; "), so the
 * profiler's scenario runner can be tested end to end. */
#include "fixture.h"

#define SED_TAIL "/' /mnt/boot.cfg > /tmp/boot.cfg && cp /tmp/boot.cfg /mnt/boot.cfg"

static int mounted, status;
static char cfg[BOOTCFG_MAX], out[BOOTCFG_MAX];

static void cat_bootcfg(void) {
  if (!mounted || disk_read_bootcfg(cfg) < 0) {
    line("cat: /mnt/boot.cfg: No such file or directory", 0);
    return;
  }
  puts_console(cfg);
}

/* The first occurrence of from on each line becomes to, as sed 's/from/to/' does for literal text. */
static int substitute(const char *from, size_t from_len, const char *to, size_t to_len) {
  size_t o = 0;
  int at_line_start = 1, done_on_line = 0;
  for (const char *p = cfg; *p;) {
    if (at_line_start)
      done_on_line = 0;
    at_line_start = *p == '\n';
    size_t k = 0;
    while (!done_on_line && k < from_len && p[k] == from[k])
      k++;
    if (!done_on_line && k == from_len) {
      if (o + to_len >= sizeof out)
        return -1;
      mem_copy(out + o, to, to_len);
      o += to_len;
      p += from_len;
      done_on_line = 1;
      continue;
    }
    if (o + 1 >= sizeof out)
      return -1;
    out[o++] = *p++;
  }
  out[o] = '\0';
  return disk_write_bootcfg(out);
}

static void sed(const char *cmd) {
  const char *from = cmd + str_len("sed 's/"), *mid = from;
  while (*mid && *mid != '/')
    mid++;
  const char *to = *mid ? mid + 1 : mid, *end = to;
  while (*end && *end != '/')
    end++;
  if (!*mid || !*end || !streq(end, SED_TAIL)) {
    line("sh: the fixture's sed only knows: sed 's/FROM/TO" SED_TAIL, 0);
    return;
  }
  if (!mounted || disk_read_bootcfg(cfg) < 0) {
    line("sed: /mnt/boot.cfg: No such file or directory", 0);
    return;
  }
  if (substitute(from, (size_t)(mid - from), to, (size_t)(end - to)) < 0)
    line("cp: /mnt/boot.cfg: write error", 0);
}

/* echo: "" vanishes and $? is the last status, as sh would have it. */
static void echo(const char *args) {
  char out[128];
  size_t o = 0;
  for (const char *p = args; *p && o < sizeof out - 12; p++) {
    if (p[0] == '"' && p[1] == '"') {
      p++;
    } else if (p[0] == '$' && p[1] == '?') {
      char digits[12];
      int n = 0, v = status;
      do
        digits[n++] = (char)('0' + v % 10);
      while ((v /= 10) && n < 11);
      while (n)
        out[o++] = digits[--n];
      p++;
    } else {
      out[o++] = *p;
    }
  }
  out[o] = '\0';
  line(out, 0);
}

static void run(const char *cmd) {
  if (starts_with(cmd, "trace ")) {
    status = fixture_trace(cmd + 6);
    return;
  }
  if (starts_with(cmd, "echo ")) {
    echo(cmd + 5);
    return;
  }
  status = 0;
  if (streq(cmd, "cat /tmp/ma.trace")) {
    fixture_cat_trace();
  } else if (streq(cmd, "poweroff") || starts_with(cmd, "shutdown")) {
    line("MINIX will now be shut down ...", 5);
    power_off(0);
  } else if (streq(cmd, "setup")) {
    setup();
  } else if (streq(cmd, "mount /dev/c0d0p0s0 /mnt")) {
    mounted = disk_installed();
    line(mounted ? "/dev/c0d0p0s0 is read-write mounted on /mnt"
                 : "mount: Can't mount /dev/c0d0p0s0 on /mnt: Invalid argument",
         5);
  } else if (streq(cmd, "umount /mnt")) {
    line(mounted ? "/dev/c0d0p0s0 unmounted from /mnt" : "umount: /mnt: not mounted", 5);
    mounted = 0;
  } else if (streq(cmd, "cat /mnt/boot.cfg")) {
    cat_bootcfg();
  } else if (starts_with(cmd, "sed 's/")) {
    sed(cmd);
  } else if (cmd[0]) {
    puts_console("sh: ");
    puts_console(cmd);
    puts_console(": not found (this is the minix-analysis fixture, not MINIX)\n");
    status = 127;
  }
}

/* "a; b; c" runs a, b and c in turn. */
static void run_list(char *cmds) {
  for (char *c = cmds; c;) {
    char *next = c;
    while (*next && !(next[0] == ';' && next[1] == ' '))
      next++;
    char *rest = *next ? next + 2 : NULL;
    *next = '\0';
    run(c);
    c = rest;
  }
}

void shell(void) {
  static char buf[256];
  for (;;) {
    puts_console("# ");
    read_line(buf, sizeof buf);
    run_list(buf);
  }
}

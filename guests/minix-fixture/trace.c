/* `trace` in the MINIX fixture's shell (not MINIX's trace): for `ls /` it
 * prints a listing and writes a trace in the line shapes of MINIX's trace(1)
 * as listed in shared/minix/console-reference.md, so the profiler's MINIX
 * trace path (scenario, extraction, parser) runs end to end. The calls are
 * made up; nothing here is measured. Other commands are "not found". */
#include "fixture.h"

static char trace_file[2048];
static int trace_written;

static const char ls_trace[] =
    "Tracing ls (pid 7)\n"
    "execve(\"/bin/ls\", [\"ls\", \"/\"], [/* 3 vars */]) = 0\n"
    "brk(&0x8050000) = 0\n"
    "getuid() = 0 (euid=0)\n"
    "open(\"/etc/ls.conf\", O_RDONLY) = -1 [ENOENT]\n"
    "open(\"/\", O_RDONLY) = 3\n"
    "fstat(3, {st_mode=S_IFDIR|0755, st_size=512}) = 0\n"
    "getdents(3, 0x8051000, 4096) = 208\n"
    "getdents(3, 0x8051000, 4096) = 0\n"
    "close(3) = 0\n"
    "write(1, \"bin  boot  dev  etc  home  mnt  root  sbin  tmp  usr  var\\n\", 56) = 56\n"
    "exit(0)\n"
    "Process exited normally with code 0\n";

/* "trace -f -o /tmp/ma.trace CMD": the exit status of CMD. */
int fixture_trace(const char *args) {
  const char *opts = "-f -o /tmp/ma.trace ";
  if (!starts_with(args, opts)) {
    line("trace: the fixture's trace only knows: trace -f -o /tmp/ma.trace COMMAND", 0);
    return 1;
  }
  const char *cmd = args + str_len(opts);
  mem_set(trace_file, 0, sizeof trace_file);
  trace_written = 1;
  if (streq(cmd, "ls /") || streq(cmd, "/bin/ls /")) {
    mem_copy(trace_file, ls_trace, sizeof ls_trace);
    line("bin  boot  dev  etc  home  mnt  root  sbin  tmp  usr  var", 5);
    return 0;
  }
  puts_console("trace: ");
  puts_console(cmd);
  line(": No such file or directory (the minix-analysis fixture knows only ls /)", 0);
  return 1;
}

void fixture_cat_trace(void) {
  if (!trace_written)
    line("cat: /tmp/ma.trace: No such file or directory", 0);
  else
    puts_console(trace_file);
}

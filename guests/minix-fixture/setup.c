/* The `setup` dialogue of the MINIX fixture (not MINIX): the prompts of the
 * real installer as listed in shared/minix/console-reference.md, in a fixed
 * order, or with fixture=setup-varied in another order with the conditional
 * prompts, or with fixture=setup-surprise one question no scenario answers.
 * It "installs" by writing disk.c's layout onto the primary ATA disk. */
#include "fixture.h"

static char answer[64];

static const char *ask(const char *prompt) {
  puts_console(prompt);
  read_line(answer, sizeof answer);
  return answer;
}

static int refuse(const char *what) {
  puts_console("setup: ");
  line(what, 5);
  return -1;
}

static uint32_t parse_uint(const char *s, int *ok) {
  uint32_t v = 0;
  *ok = *s != '\0';
  for (; *s; s++) {
    if (*s < '0' || *s > '9')
      *ok = 0;
    v = v * 10 + (uint32_t)(*s - '0');
  }
  return v;
}

static void page_break(void) {
  line("This is the MINIX fixture's imitation of the installer's text.", 2);
  ask(":");
}

static void conditional_disk_prompts(void) {
  ask("Do you want to install new MBR into c0d0? [Y] ");
  ask("(F)ull or (R)einstall? [R] ");
}

static int choose_disk(uint32_t mb, int varied) {
  line(" Probing for disks. This may take a short while.", 40);
  puts_console(" Found the following disk(s):\n  0. c0d0 ");
  put_uint(mb);
  line(" MB", 2);
  const char *a = ask("Enter the disk number to use: [0] ");
  if (!streq(a, "") && !streq(a, "0"))
    return refuse("no such disk");
  if (varied)
    conditional_disk_prompts();
  a = ask("Enter the region number to use or type 'delete':  [0] ");
  if (!streq(a, "") && !streq(a, "0"))
    return refuse("no such region");
  a = ask("Are you sure you want to continue?  Please enter 'yes' or 'no': ");
  if (!streq(a, "yes")) {
    line("Aborted.", 5);
    return -1;
  }
  return 0;
}

static int choose_sizes(uint32_t mb) {
  uint32_t max = mb > 128 ? mb - 128 : 0, dflt = max / 5;
  puts_console("How big do you want your /home to be in MB (0-");
  put_uint(max);
  puts_console(") ? [");
  put_uint(dflt);
  const char *a = ask("] ");
  int ok = 1;
  uint32_t home = streq(a, "") ? dflt : parse_uint(a, &ok);
  if (!ok || home > max)
    return refuse("that is not a size for /home");
  if (home) {
    put_uint(home);
    a = ask(" MB Ok? [Y] ");
    if (!streq(a, "") && !streq(a, "Y") && !streq(a, "y"))
      return refuse("size not confirmed");
  }
  a = ask("Block size in kilobytes? [4] ");
  if (!streq(a, "") && !streq(a, "4"))
    return refuse("the fixture only knows 4 kB blocks");
  return 0;
}

static int copy_sets(void) {
  static const char *const sets[] = {"base", "comp", "etc", "games", "man", "misc", "tests"};
  line("All files will now be copied to your hard disk. This may take a while.", 20);
  char list[128];
  size_t n = 0;
  for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++) {
    puts_console("Extracting ");
    puts_console(sets[i]);
    line(".tgz...", 60);
    size_t len = str_len(sets[i]);
    mem_copy(list + n, sets[i], len);
    n += len;
    list[n++] = i + 1 < sizeof sets / sizeof sets[0] ? ',' : '\n';
  }
  list[n] = '\0';
  if (disk_install(list) < 0 ||
      disk_write_bootcfg("clear=1\ntimeout=5\ndefault=1\nmenu=Start MINIX 3:load_mods /boot/minix_default/mod*;"
                         "multiboot /boot/minix_default/kernel rootdevname=c0d0p0s0\n") < 0)
    return refuse("cannot write to c0d0");
  line("Creating device nodes...", 20);
  return 0;
}

static void network(int varied) {
  static const char *const fixed[] = {"Interface choice? ", "Configuration choice? ", "Menu choice? "};
  static const char *const other[] = {"Menu choice? ", "Interface choice? ", "Configuration choice? "};
  for (int i = 0; i < 3; i++)
    ask(varied ? other[i] : fixed[i]);
}

int setup(void) {
  int varied = has_arg("fixture=setup-varied");
  line("", 0);
  line("Welcome to the MINIX 3 setup script. (the minix-analysis fixture, not MINIX)", 2);
  page_break();
  if (varied)
    page_break();
  const char *a = ask("Keyboard type? [us-std] ");
  if (!streq(a, "") && !streq(a, "us-std"))
    return refuse("unknown keyboard type");
  a = ask("Press ENTER for automatic mode, or type 'expert': ");
  if (!streq(a, ""))
    return refuse("expert mode is not in the fixture");
  uint32_t mb = ata_identify() / 2048;
  if (mb == 0)
    return refuse("no disk found (the fixture installs onto the primary ATA disk)");
  if (choose_disk(mb, varied) < 0)
    return -1;
  if (has_arg("fixture=setup-surprise"))
    ask("Install the fixture's pony set? [n] ");
  if (choose_sizes(mb) < 0 || copy_sets() < 0)
    return -1;
  network(varied);
  line("", 0);
  line("Please type 'shutdown -r now' to exit MINIX 3 and enter the boot monitor.", 5);
  return 0;
}

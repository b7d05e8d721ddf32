/* The virtual clock's TCG plugin, loaded into QEMU (7.2, plugin API 1) for a boot with
 * "clock": "virtual". QEMU runs that boot with -icount shift=N,sleep=off, so which instructions
 * execute, and in what order, depend only on the guest and its inputs, not on the host's load.
 *
 * It counts every guest instruction executed (all vCPUs: under -icount QEMU runs them one after
 * another on one thread) and writes:
 *   counts=PATH  for every byte of the serial console, in order, the number of instructions
 *                executed before the OUT instruction that wrote it (8 bytes, little-endian);
 *   hits=PATH    "0xADDR N" the first time the instruction at ADDR (addr=0xADDR, repeated) is about
 *                to execute, N instructions in; "end N" when QEMU exits.
 *
 * Why the bytes come from QEMU's console log: the 7.2 plugin API shows neither registers nor port
 * I/O, so the byte an OUT writes is invisible here. QEMU's 16550 hands a transmitted byte to its
 * chardev during the OUT itself, and the chardev's logfile= (log=PATH) receives it then. So the
 * bytes that reached the log since the previous OUT were written by that OUT; each OUT, HLT and
 * the exit hands them out. The log is a FIFO (made by the daemon) drained by read(): only the
 * number of bytes matters, and the console takes no disk twice. A byte the chardev refused is
 * logged when the write fails and again when it is retried: the daemon checks that the bytes
 * counted here are the bytes it read (core/jobs.c). max=N        count the first N console bytes
 * only (the counts file takes 8 bytes for each)
 *
 * Not a part of the daemon: QEMU loads it. Written for x86 (the OUT opcodes); addr= works on any
 * target. */
#include <qemu-plugin.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

#define MAX_ADDRS 256

static uint64_t count; /* one thread runs every vCPU under -icount: no atomics needed */
static int counts_fd = -1, hits_fd = -1, log_fd = -1;
static uint64_t log_seen, log_max = UINT64_MAX;
static uint64_t last_out;
static uint64_t addrs[MAX_ADDRS];
static int addr_hit[MAX_ADDRS];
static int n_addrs;

/* What a callback needs about its instruction, allocated when the block is translated. */
struct insn_note {
  struct insn_note *next; /* all of them, freed at exit */
  int is_out, is_hlt;
  int addr_index; /* into addrs[], or -1 */
};
static struct insn_note *notes;

static void write_all(int fd, const void *buf, size_t len) {
  const char *p = buf;
  while (len > 0) {
    ssize_t w = write(fd, p, len);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return; /* the daemon finds the file short and says the marker's count was not observed */
    p += w;
    len -= (size_t)w;
  }
}

/* Credits the bytes logged since the last look to the last OUT. */
static void hand_out_bytes(void) {
  uint8_t le[8], in[512], buf[8 * 512];
  for (int i = 0; i < 8; i++)
    le[i] = (uint8_t)(last_out >> (8 * i));
  ssize_t n;
  while (log_fd >= 0 && (n = read(log_fd, in, sizeof in)) > 0) {
    size_t k = 0;
    for (ssize_t i = 0; i < n && log_seen < log_max; i++, log_seen++)
      memcpy(buf + 8 * k++, le, 8);
    write_all(counts_fd, buf, 8 * k);
  }
}

static void note_hit(const struct insn_note *n) {
  if (addr_hit[n->addr_index])
    return;
  addr_hit[n->addr_index] = 1;
  char line[64];
  int len = snprintf(line, sizeof line, "0x%llx %llu\n", (unsigned long long)addrs[n->addr_index],
                     (unsigned long long)count);
  write_all(hits_fd, line, (size_t)len);
}

/* In 7.2 an instruction's callbacks run before its inline counter add: count is the number of
 * instructions executed before this one. */
static void on_insn(unsigned int vcpu, void *userdata) {
  (void)vcpu;
  const struct insn_note *n = userdata;
  if (n->addr_index >= 0)
    note_hit(n);
  if (n->is_hlt) /* the guest waits: what it wrote is handed out before QEMU may be killed */
    hand_out_bytes();
  if (n->is_out) {
    hand_out_bytes(); /* what appeared since the previous OUT is that one's */
    last_out = count;
  }
}

/* x86 OUT and OUTS: E6/E7 (imm8 port), EE/EF (port in DX), 6E/6F, after any legacy prefixes. */
static int is_x86_out(const uint8_t *p, size_t len) {
  static const uint8_t prefixes[] = {0x66, 0x67, 0xf2, 0xf3, 0x2e, 0x3e, 0x26, 0x36, 0x64, 0x65};
  size_t i = 0;
  while (i < len && memchr(prefixes, p[i], sizeof prefixes))
    i++;
  if (i >= len)
    return 0;
  return p[i] == 0xe6 || p[i] == 0xe7 || p[i] == 0xee || p[i] == 0xef || p[i] == 0x6e ||
         p[i] == 0x6f;
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb) {
  (void)id;
  size_t n = qemu_plugin_tb_n_insns(tb);
  for (size_t i = 0; i < n; i++) {
    struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
    uint64_t pc = qemu_plugin_insn_vaddr(insn);
    const uint8_t *code = qemu_plugin_insn_data(insn);
    int out = is_x86_out(code, qemu_plugin_insn_size(insn));
    int hlt = qemu_plugin_insn_size(insn) == 1 && code[0] == 0xf4;
    int ai = -1;
    for (int k = 0; k < n_addrs && ai < 0; k++)
      if (addrs[k] == pc)
        ai = k;
    if (out || hlt || ai >= 0) {
      struct insn_note *note = calloc(1, sizeof *note);
      if (note) {
        *note = (struct insn_note){notes, out, hlt, ai};
        notes = note;
        qemu_plugin_register_vcpu_insn_exec_cb(insn, on_insn, QEMU_PLUGIN_CB_NO_REGS, note);
      }
    }
    /* Per instruction, not per block: a block left early (an exception, an interrupt under
     * icount) must not count the instructions it did not run. */
    qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64, &count, 1);
  }
}

static void on_exit_(qemu_plugin_id_t id, void *p) {
  (void)id;
  (void)p;
  hand_out_bytes();
  char line[40];
  int len = snprintf(line, sizeof line, "end %llu\n", (unsigned long long)count);
  write_all(hits_fd, line, (size_t)len);
  while (notes) {
    struct insn_note *next = notes->next;
    free(notes);
    notes = next;
  }
}

static int open_out(const char *path) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    fprintf(stderr, "vclock: %s: %s\n", path, strerror(errno));
  return fd;
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc,
                                           char **argv) {
  (void)info;
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    if (!strncmp(a, "counts=", 7)) {
      counts_fd = open_out(a + 7);
    } else if (!strncmp(a, "hits=", 5)) {
      hits_fd = open_out(a + 5);
    } else if (!strncmp(a, "log=", 4)) {
      /* QEMU opened the chardev's log before loading plugins: the daemon makes it a FIFO and holds
       * it open for reading, so that QEMU's open returned; this end drains it at every OUT. A
       * plain file (a run by hand) is read as it grows. */
      log_fd = open(a + 4, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
      if (log_fd < 0)
        fprintf(stderr, "vclock: %s: %s\n", a + 4, strerror(errno));
    } else if (!strncmp(a, "max=", 4)) {
      log_max = strtoull(a + 4, NULL, 10);
    } else if (!strncmp(a, "addr=", 5) && n_addrs < MAX_ADDRS) {
      char *end;
      errno = 0;
      addrs[n_addrs++] = strtoull(a + 5, &end, 0);
      if (errno || *end) {
        fprintf(stderr, "vclock: bad address %s\n", a);
        return -1;
      }
    } else {
      fprintf(stderr, "vclock: unknown or extra argument %s\n", a);
      return -1;
    }
  }
  if (counts_fd < 0 || hits_fd < 0 || log_fd < 0) {
    fprintf(stderr, "vclock: needs counts=, hits= and log=\n");
    return -1;
  }
  qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
  qemu_plugin_register_atexit_cb(id, on_exit_, NULL);
  return 0;
}

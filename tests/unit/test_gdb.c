/* What symbol breakpoints stand on: function addresses from the fixture
 * kernel's ELF symbol table (checked against nm at build time is not needed:
 * the fixture's linker script puts .text at 1 MiB), and the framing of GDB's
 * remote protocol as QEMU's gdbstub speaks it. */
#include <elf.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/elf_symbols.h"
#include "lib/rsp.h"
#include "test_util.h"

static void fixture_functions_are_found(void **state) {
  (void)state;
  const char *kernel = getenv("MA_FIXTURE_KERNEL");
  assert_non_null(kernel);
  const char *names[] = {"MINIX", "pre_init", "kmain", "switch_to_user", "no_such_function"};
  uint64_t addrs[5];
  bool unpaged[5];
  assert_int_equal(elf_symbols_find(kernel, names, 5, addrs, unpaged), 4);
  assert_false(unpaged[0] || unpaged[1] || unpaged[2] || unpaged[3]);
  for (int i = 0; i < 4; i++)
    assert_true(addrs[i] >= 0x100000 && addrs[i] < 0x200000);
  assert_int_equal(addrs[0], 0x10000c); /* the entry: after the 12-byte multiboot header at 1 MiB */
  assert_int_equal(addrs[4], 0);
  assert_true(addrs[1] != addrs[2]);
}

static void not_elf_and_missing_files(void **state) {
  (void)state;
  char path[4096];
  snprintf(path, sizeof path, "%s/tests/data/minix-3.4-synthetic.serial", getenv("MA_SOURCE_ROOT"));
  const char *names[] = {"kmain"};
  uint64_t addr;
  assert_int_equal(elf_symbols_find(path, names, 1, &addr, NULL), -ENOEXEC);
  assert_int_equal(elf_symbols_find("/nonexistent/kernel", names, 1, &addr, NULL), -ENOENT);
}

/* A synthetic ELF32 (a fixture made here, not MINIX) with the real MINIX 3.4 kernel's names and
 * addresses (nm of its /boot/minix_default/kernel): the entry, pre_init and kmain are linked as
 * __k_unpaged_NAME, cstart plainly; a plain name beats its unpaged twin. */
static void unpaged_names_are_found_and_said(void **state) {
  (void)state;
  static const char strtab[] =
      "\0__k_unpaged_MINIX\0__k_unpaged_pre_init\0__k_unpaged_kmain\0cstart\0"
      "__k_unpaged_cstart\0";
  const uint32_t name_at[] = {1, 19, 40, 58, 65},
                 value[] = {0x400000, 0x4006e0, 0xf0426900, 0xf0426fd0, 0x400100};
  struct {
    Elf32_Ehdr eh;
    Elf32_Shdr sh[3];
    Elf32_Sym sym[6];
    char str[sizeof strtab];
  } f = {0};
  memcpy(f.eh.e_ident, ELFMAG, SELFMAG);
  f.eh.e_ident[EI_CLASS] = ELFCLASS32, f.eh.e_ident[EI_DATA] = ELFDATA2LSB;
  f.eh.e_shoff = offsetof(__typeof__(f), sh), f.eh.e_shnum = 3,
  f.eh.e_shentsize = sizeof(Elf32_Shdr);
  f.sh[1] = (Elf32_Shdr){.sh_type = SHT_SYMTAB,
                         .sh_offset = offsetof(__typeof__(f), sym),
                         .sh_size = sizeof f.sym,
                         .sh_link = 2};
  f.sh[2] = (Elf32_Shdr){
      .sh_type = SHT_STRTAB, .sh_offset = offsetof(__typeof__(f), str), .sh_size = sizeof f.str};
  for (int i = 0; i < 5; i++)
    f.sym[i + 1] = (Elf32_Sym){.st_name = name_at[i], .st_value = value[i]};
  memcpy(f.str, strtab, sizeof strtab);
  char path[] = "/tmp/ma-test-elf-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0 && write(fd, &f, sizeof f) == (ssize_t)sizeof f);
  close(fd);
  const char *names[] = {"MINIX", "pre_init", "kmain", "cstart", "proc_init"};
  uint64_t addrs[5];
  bool unpaged[5];
  assert_int_equal(elf_symbols_find(path, names, 5, addrs, unpaged), 4);
  unlink(path);
  const uint64_t want[] = {0x400000, 0x4006e0, 0xf0426900, 0xf0426fd0, 0};
  const bool want_unpaged[] = {true, true, true, false, false};
  for (int i = 0; i < 5; i++) {
    assert_int_equal(addrs[i], want[i]);
    assert_int_equal(unpaged[i], want_unpaged[i]);
  }
}

static void packets_are_framed_and_checked(void **state) {
  (void)state;
  char *p = rsp_packet("Z0,100350,1");
  assert_string_equal(p, "$Z0,100350,1#3c");
  free(p);
  struct util_buf b = {0};
  char *out = NULL;
  assert_int_equal(rsp_next(&b, &out), 0);
  /* An ack, a packet split across reads, then a packet with a bad checksum. */
  util_buf_append(&b, "+$O", 3);
  assert_int_equal(rsp_next(&b, &out), 0);
  util_buf_append(&b, "K#9a$T05thread:01;#08", 21);
  assert_int_equal(rsp_next(&b, &out), 1);
  assert_string_equal(out, "OK");
  free(out);
  assert_int_equal(rsp_next(&b, &out), -EPROTO);
  util_buf_append(&b, "$#00", 4);
  assert_int_equal(rsp_next(&b, &out), 1);
  assert_string_equal(out, ""); /* QEMU's answer to what it does not support */
  free(out);
  assert_int_equal(b.len, 0);
  util_buf_clear(&b);
}

static void the_pc_comes_from_a_g_reply(void **state) {
  (void)state;
  /* eax..edi (8 x 4 bytes), then eip = 0x0010000c little endian. */
  const char *i386 = "02b0ad2b0c0010001105010000950000086f0000000000000000000000100000"
                     "0c001000"
                     "06000000";
  uint64_t pc = 0;
  assert_int_equal(rsp_pc(i386, 32, &pc), 0);
  assert_int_equal(pc, 0x10000c);
  char x86_64[16 * 16 + 17];
  memset(x86_64, '0', 16 * 16);
  strcpy(x86_64 + 16 * 16, "50031000ffffffff");
  assert_int_equal(rsp_pc(x86_64, 64, &pc), 0);
  assert_int_equal(pc, 0xffffffff00100350ull);
  assert_int_equal(rsp_pc("0011", 32, &pc), -EINVAL);
  assert_int_equal(
      rsp_pc("zz00000000000000000000000000000000000000000000000000000000000000zz000000", 32, &pc),
      -EINVAL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(fixture_functions_are_found),
      cmocka_unit_test(not_elf_and_missing_files),
      cmocka_unit_test(unpaged_names_are_found_and_said),
      cmocka_unit_test(packets_are_framed_and_checked),
      cmocka_unit_test(the_pc_comes_from_a_g_reply),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

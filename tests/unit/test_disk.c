/* Disk images: what one qemu-img info says an image opens besides itself (the backing chain check
 * reads it), the command that asks, and the format of a file that is not one. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/disk.h"
#include "test_util.h"

static void reads_backing_and_data_files(void **state) {
  (void)state;
  struct disk_links l;
  /* As qemu-img 7.2 prints it for a qcow2 with a raw backing file and an external data file. */
  assert_int_equal(
      disk_links_parse("{\"backing-filename-format\": \"raw\", \"virtual-size\": 16777216,"
                       " \"filename\": \"/img/top.qcow2\", \"format\": \"qcow2\","
                       " \"format-specific\": {\"type\": \"qcow2\", \"data\": {\"compat\": \"1.1\","
                       " \"data-file\": \"/elsewhere/data.raw\", \"data-file-raw\": false}},"
                       " \"full-backing-filename\": \"/img/../etc/base.raw\","
                       " \"backing-filename\": \"../etc/base.raw\", \"dirty-flag\": false}",
                       &l),
      0);
  assert_string_equal(l.format, "qcow2");
  assert_string_equal(l.backing, "/img/../etc/base.raw"); /* as QEMU resolves it, not as recorded */
  assert_string_equal(l.backing_format, "raw");
  assert_string_equal(l.data_file, "/elsewhere/data.raw");
  assert_false(l.unresolved);
  disk_links_clear(&l);
  assert_int_equal(disk_links_parse("{\"format\": \"raw\", \"filename\": \"/img/base.raw\"}", &l),
                   0);
  assert_null(l.backing);
  assert_null(l.backing_format); /* not recorded: QEMU probes */
  assert_null(l.data_file);
  disk_links_clear(&l);
  assert_int_equal(
      disk_links_parse("{\"format\": \"qcow2\", \"backing-filename\": \"json:{}\"}", &l), 0);
  assert_true(l.unresolved);
  disk_links_clear(&l);
  assert_int_equal(disk_links_parse("qemu-img: Could not open", &l), -EINVAL);
  assert_int_equal(disk_links_parse("{\"filename\": \"x\"}", &l), -EINVAL);
}

static void asks_for_one_image_at_a_time(void **state) {
  (void)state;
  char **argv = disk_info_argv("/usr/bin/qemu-img", "/img/top.qcow2", "qcow2");
  const char *stated[] = {"/usr/bin/qemu-img", "info", "--output=json", "-U", "-f", "qcow2",
                          "/img/top.qcow2",    NULL};
  for (size_t i = 0; stated[i] || argv[i]; i++)
    assert_string_equal(
        argv[i], stated[i]); /* no --backing-chain: the backing file is judged before it opens */
  disk_argv_free(argv);
  argv = disk_info_argv("/usr/bin/qemu-img", "/img/base", NULL);
  const char *probed[] = {"/usr/bin/qemu-img", "info", "--output=json", "-U", "/img/base", NULL};
  for (size_t i = 0; probed[i] || argv[i]; i++)
    assert_string_equal(argv[i], probed[i]);
  disk_argv_free(argv);
}

/* A FIFO put where a disk was is opened without waiting for a writer (old code: this test hangs).
 */
static void a_fifo_has_no_format(void **state) {
  (void)state;
  char dir[] = "/tmp/ma-disk-XXXXXX";
  assert_non_null(mkdtemp(dir));
  char *fifo = util_strdupf("%s/disk", dir);
  assert_int_equal(mkfifo(fifo, 0600), 0);
  assert_null(disk_format(fifo));
  unlink(fifo);
  FILE *f = fopen(fifo, "w");
  fputs("QFI\xfb", f);
  fclose(f);
  assert_string_equal(disk_format(fifo), "qcow2");
  unlink(fifo);
  rmdir(dir);
  free(fifo);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(reads_backing_and_data_files),
                                     cmocka_unit_test(asks_for_one_image_at_a_time),
                                     cmocka_unit_test(a_fifo_has_no_format)};
  return cmocka_run_group_tests_name("disk", tests, NULL, NULL);
}

/* A request naming a registered image becomes a spec that still says which image it boots, for one
 * boot and for a matrix, whatever the image's kind (a matrix of a disk image lost it: issue 16). */
#include <string.h>
#include <unistd.h>

#include "core/images.h"
#include "lib/matrix.h"
#include "lib/store.h"
#include "test_util.h"

struct fixture {
  char dir[64];
  struct store *store;
  struct bootspec_env env;
  char image[UTIL_ID_LEN + 1];
};

/* A state dir with a raw disk registered as an installed disk image that the BIOS boots. */
static int setup(void **state) {
  static struct fixture f;
  char kernel[512];
  strcpy(f.dir, "/tmp/ma-test-images-XXXXXX");
  assert_non_null(mkdtemp(f.dir));
  _cleanup_(util_freep) char *db = util_strdupf("%s/minix-analysis.db", f.dir);
  _cleanup_(util_freep) char *disk = util_strdupf("%s/disk.raw", f.dir);
  char *err = NULL;
  assert_int_equal(store_open(db, &f.store, &err), 0);
  FILE *fp = fopen(disk, "wb");
  assert_non_null(fp);
  assert_int_equal(ftruncate(fileno(fp), 1 << 20), 0);
  fclose(fp);
  assert_int_equal(test_boot_env(&f.env, kernel, sizeof kernel), 0);
  assert_int_equal(store_image_put(f.store, "0123456789abcdef", "00", disk, "disk",
                                   "{\"boot\":\"bios\"}", util_wall_us(), f.image),
                   0);
  *state = &f;
  return 0;
}

static int teardown(void **state) {
  struct fixture *f = *state;
  store_close(f->store);
  profile_set_free((struct profile_set *)f->env.profiles);
  _cleanup_(util_freep) char *cmd = util_strdupf("rm -rf %s", f->dir);
  return system(cmd) == 0 ? 0 : -1;
}

static void boot_of_a_disk_image_records_the_image(void **state) {
  struct fixture *f = *state;
  json_auto_t *req =
      json_pack("{s:s, s:s, s:s}", "image", f->image, "profile", "minix-3.4", "accel", "tcg");
  struct boot_spec *spec = NULL;
  struct ma_error err;
  assert_int_equal(images_boot_spec(f->store, f->dir, &f->env, req, &spec, &err), 0);
  assert_string_equal(json_string_value(json_object_get(spec->json, "image")), f->image);
  assert_non_null(spec->disk);
  bootspec_free(spec);
}

static void matrix_of_a_disk_image_records_the_image(void **state) {
  struct fixture *f = *state;
  json_auto_t *req = json_pack("{s:s, s:s, s:s, s:[i,i], s:i}", "image", f->image, "profile",
                               "minix-3.4", "accel", "tcg", "cpus", 1, 2, "samples", 1);
  struct matrix_spec *spec = NULL;
  struct ma_error err;
  assert_int_equal(images_matrix_spec(f->store, f->dir, &f->env, 4, req, &spec, &err), 0);
  assert_string_equal(json_string_value(json_object_get(spec->json, "image")), f->image);
  matrix_spec_free(spec);
}

static void an_unknown_image_is_refused(void **state) {
  struct fixture *f = *state;
  json_auto_t *req = json_pack("{s:s, s:s}", "image", "fedcba9876543210", "profile", "minix-3.4");
  struct boot_spec *spec = NULL;
  struct ma_error err;
  assert_int_equal(images_boot_spec(f->store, f->dir, &f->env, req, &spec, &err), -EINVAL);
  assert_string_equal(err.code, "unknown_image");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(boot_of_a_disk_image_records_the_image),
      cmocka_unit_test(matrix_of_a_disk_image_records_the_image),
      cmocka_unit_test(an_unknown_image_is_refused),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}

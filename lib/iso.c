#include "lib/iso.h"

#include <archive.h>
#include <archive_entry.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/digest.h"
#include "lib/util.h"

#define KERNEL_MAX (64u << 20)
#define BOOT_CFG_MAX (1u << 20)
#define MINIX_MODULES 12 /* the 3.4 kernel panics unless it gets exactly this many */

static int bad(struct ma_error *err, const char *code, const char *fmt, const char *arg) {
  char msg[400];
  snprintf(msg, sizeof msg, fmt, arg);
  ma_error_set(err, EINVAL, code, "iso", "%s", msg);
  return -EINVAL;
}

static int hash_file(const char *path, struct iso_image *img, struct ma_error *err) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return bad(err, "file_not_found", "cannot read %s", path);
  int r = digest_fd(fd, img->sha256, img->sha1, &img->size);
  close(fd);
  if (r == -ENOMEM)
    return r;
  return r < 0 ? bad(err, "read_error", "error while reading %s", path) : 0;
}

static struct archive *open_iso(const char *path) {
  struct archive *a = archive_read_new();
  archive_read_support_format_iso9660(a);
  if (archive_read_open_filename(a, path, 1 << 16) != ARCHIVE_OK) {
    archive_read_free(a);
    return NULL;
  }
  return a;
}

static const char *norm(const char *p) {
  while (*p == '/' || (p[0] == '.' && p[1] == '/'))
    p += *p == '/' ? 1 : 2;
  return p;
}

/* Reads the current entry's data (at most max bytes; -E2BIG beyond). */
static int read_data(struct archive *a, struct util_buf *out, size_t max) {
  char buf[65536];
  la_ssize_t n;
  while ((n = archive_read_data(a, buf, sizeof buf)) > 0) {
    if (out->len + (size_t)n > max)
      return -E2BIG;
    util_buf_append(out, buf, (size_t)n);
  }
  return n < 0 ? -EIO : 0;
}

/* First pass: every path, and boot.cfg's text. */
static int list_iso(const char *path, json_t *paths, struct util_buf *boot_cfg,
                    struct ma_error *err) {
  struct archive *a = open_iso(path);
  if (!a)
    return bad(err, "not_an_iso", "%s is not an ISO 9660 image", path);
  struct archive_entry *e;
  int r, n = 0;
  while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
    const char *name = norm(archive_entry_pathname(e));
    json_array_append_new(paths, json_string(name));
    n++;
    if (strcmp(name, "boot.cfg") == 0 && read_data(a, boot_cfg, BOOT_CFG_MAX) < 0)
      r = ARCHIVE_FATAL;
    if (r != ARCHIVE_OK)
      break;
  }
  archive_read_free(a);
  if (r != ARCHIVE_EOF)
    return bad(err, "corrupt_iso",
               "%s is truncated or corrupt: its directory could not be read to the end", path);
  if (n == 0)
    return bad(err, "not_an_iso", "%s holds no files", path);
  return 0;
}

static bool listed(json_t *paths, const char *p) {
  size_t i;
  json_t *v;
  json_array_foreach(paths, i, v) if (strcmp(json_string_value(v), p) == 0) return true;
  return false;
}

static void add_module(struct iso_image *img, const char *p) {
  if (!listed(img->modules, norm(p)))
    json_array_append_new(img->modules, json_string(norm(p)));
}

/* "load_mods /boot/minix_default/mod*": every listed file matching, sorted. */
static void add_glob(struct iso_image *img, json_t *paths, const char *pattern) {
  json_t *matches = json_array();
  size_t i;
  json_t *v;
  json_array_foreach(paths, i, v) if (fnmatch(norm(pattern), json_string_value(v), FNM_PATHNAME) ==
                                      0) json_array_append(matches, v);
  json_array_foreach(matches, i, v) add_module(img, json_string_value(v));
  json_decref(matches);
}

static void command(struct iso_image *img, json_t *paths, char *cmd) {
  while (*cmd == ' ' || *cmd == '\t')
    cmd++;
  char *arg = cmd + strcspn(cmd, " \t=");
  char sep = *arg;
  if (sep)
    *arg++ = '\0';
  while (*arg == ' ' || *arg == '\t')
    arg++;
  char *rest = arg + strcspn(arg, " \t");
  if (*rest)
    *rest++ = '\0';
  if (strcmp(cmd, "multiboot") == 0 && !img->kernel && *arg) {
    img->kernel = strdup(norm(arg));
    img->kernel_args = strdup(rest);
  } else if ((strcmp(cmd, "load") == 0 || strcmp(cmd, "module") == 0) && *arg) {
    add_module(img, arg);
  } else if (strcmp(cmd, "load_mods") == 0 && *arg) {
    add_glob(img, paths, arg);
  }
}

/* boot.cfg (NetBSD boot loader syntax): menu=TITLE:CMD;CMD..., load=PATH lines. */
static void parse_boot_cfg(struct iso_image *img, json_t *paths, char *text) {
  char *save = NULL;
  for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    line[strcspn(line, "\r")] = '\0';
    char *cmds = line;
    if (strncmp(line, "menu=", 5) == 0) {
      cmds = strchr(line, ':');
      if (!cmds || img->kernel)
        continue; /* only the first menu entry (the default) picks the kernel */
      cmds++;
    }
    char *save2 = NULL;
    for (char *c = strtok_r(cmds, ";", &save2); c; c = strtok_r(NULL, ";", &save2))
      command(img, paths, c);
  }
}

static void elf_facts(struct iso_image *img, const unsigned char *d, size_t n) {
  if (n < EI_NIDENT || memcmp(d, ELFMAG, SELFMAG) != 0)
    return;
  if (d[EI_CLASS] == ELFCLASS32 && n >= sizeof(Elf32_Ehdr)) {
    const Elf32_Ehdr *h = (const void *)d;
    img->elf_bits = 32;
    img->elf_machine = h->e_machine;
    img->elf_entry = h->e_entry;
    for (unsigned i = 0; i < h->e_shnum && h->e_shoff + (i + 1) * sizeof(Elf32_Shdr) <= n; i++)
      img->elf_symbols |= ((const Elf32_Shdr *)(d + h->e_shoff))[i].sh_type == SHT_SYMTAB;
  } else if (d[EI_CLASS] == ELFCLASS64 && n >= sizeof(Elf64_Ehdr)) {
    const Elf64_Ehdr *h = (const void *)d;
    img->elf_bits = 64;
    img->elf_machine = h->e_machine;
    img->elf_entry = h->e_entry;
    for (unsigned i = 0; i < h->e_shnum && h->e_shoff + (i + 1) * sizeof(Elf64_Shdr) <= n; i++)
      img->elf_symbols |= ((const Elf64_Shdr *)(d + h->e_shoff))[i].sh_type == SHT_SYMTAB;
  }
}

static char *find_release_after(const unsigned char *d, size_t n, const char *prefix) {
  for (const unsigned char *p = d; (p = memmem(p, n - (size_t)(p - d), prefix, 6)); p++) {
    const char *v = (const char *)p + 6;
    size_t len = strspn(v, "0123456789.");
    if (len >= 5 && (size_t)((const unsigned char *)v + len - d) <= n && v[0] >= '0' && v[0] <= '9')
      return strndup(v, len - (v[len - 1] == '.'));
  }
  return NULL;
}

/* The release the kernel announces: "MINIX 3.4.0" in its data, or, as in the real 3.4.0 kernel
 * (whose banner is the format "MINIX %s. Copyright ..."), its uname string "Minix 3.4.0 (GENERIC)".
 */
static char *find_release(const unsigned char *d, size_t n) {
  char *r = find_release_after(d, n, "MINIX ");
  return r ? r : find_release_after(d, n, "Minix ");
}

static int read_kernel(const char *path, struct iso_image *img, struct ma_error *err) {
  struct archive *a = open_iso(path);
  struct archive_entry *e;
  struct util_buf kernel = {0};
  int r = a ? ARCHIVE_OK : ARCHIVE_FATAL;
  while (a && (r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
    if (strcmp(norm(archive_entry_pathname(e)), img->kernel) != 0)
      continue;
    r = read_data(a, &kernel, KERNEL_MAX) < 0 ? ARCHIVE_FATAL : ARCHIVE_EOF;
    break;
  }
  archive_read_free(a);
  if (r != ARCHIVE_EOF || !kernel.data) {
    util_buf_clear(&kernel);
    return bad(err, "corrupt_iso", "the kernel %s could not be read from the image", img->kernel);
  }
  elf_facts(img, (const unsigned char *)kernel.data, kernel.len);
  img->release = find_release((const unsigned char *)kernel.data, kernel.len);
  util_buf_clear(&kernel);
  if (!img->elf_bits)
    return bad(err, "bad_kernel", "%s is not an ELF kernel", img->kernel);
  return 0;
}

static int check_layout(struct iso_image *img, json_t *paths, struct util_buf *boot_cfg,
                        struct ma_error *err) {
  if (!boot_cfg->data)
    return bad(err, "not_minix", "%s", "no /boot.cfg: this is not a MINIX installation image");
  parse_boot_cfg(img, paths, boot_cfg->data);
  if (!img->kernel)
    return bad(err, "not_minix", "%s", "/boot.cfg names no multiboot kernel");
  if (!listed(paths, img->kernel))
    return bad(err, "missing_kernel", "/boot.cfg loads /%s, which the image does not hold",
               img->kernel);
  size_t i;
  json_t *m;
  json_array_foreach(img->modules, i, m) if (!listed(paths, json_string_value(m))) return bad(
      err, "missing_module", "/boot.cfg loads /%s, which the image does not hold",
      json_string_value(m));
  if (json_array_size(img->modules) != MINIX_MODULES) {
    char w[160];
    snprintf(w, sizeof w,
             "boot.cfg loads %zu modules; MINIX 3.4 expects exactly %d and panics otherwise",
             json_array_size(img->modules), MINIX_MODULES);
    json_array_append_new(img->warnings, json_string(w));
  }
  return 0;
}

int iso_inspect(const char *path, const char *expected_sha256, struct iso_image **out,
                struct ma_error *err) {
  struct iso_image *img = calloc(1, sizeof *img);
  if (!img)
    return -ENOMEM;
  img->modules = json_array();
  img->warnings = json_array();
  json_t *paths = json_array();
  struct util_buf boot_cfg = {0};
  int r = hash_file(path, img, err);
  if (r == 0)
    r = list_iso(path, paths, &boot_cfg, err);
  if (r == 0)
    r = check_layout(img, paths, &boot_cfg, err);
  if (r == 0)
    r = read_kernel(path, img, err);
  if (r == 0 && expected_sha256 && strcasecmp(expected_sha256, img->sha256) != 0) {
    ma_error_set(err, EINVAL, "checksum_mismatch", "sha256", "the image's SHA-256 is %s, not %s",
                 img->sha256, expected_sha256);
    r = -EINVAL;
  }
  json_decref(paths);
  util_buf_clear(&boot_cfg);
  if (r < 0) {
    iso_image_free(img);
    return r;
  }
  *out = img;
  return 0;
}

void iso_image_free(struct iso_image *img) {
  if (!img)
    return;
  free(img->release);
  free(img->kernel);
  free(img->kernel_args);
  json_decref(img->modules);
  json_decref(img->warnings);
  free(img);
}

json_t *iso_image_json(const struct iso_image *img) {
  return json_pack("{s:s, s:s, s:s, s:I, s:o, s:s, s:s, s:O, s:{s:i, s:i, s:I, s:b}, s:O, s:s}",
                   "kind", "iso", "sha256", img->sha256, "sha1", img->sha1, "size",
                   (json_int_t)img->size, "release",
                   img->release ? json_string(img->release) : json_null(), "kernel", img->kernel,
                   "kernel_args", img->kernel_args, "modules", img->modules, "kernel_elf", "bits",
                   img->elf_bits, "machine", img->elf_machine, "entry", (json_int_t)img->elf_entry,
                   "symbols", img->elf_symbols, "warnings", img->warnings, "note",
                   "in minix_R3.4.0rc6-d5e4fc0.iso, d5e4fc0 is the MINIX git revision, not a "
                   "checksum of the image; "
                   "compare the SHA-256 with one you trust");
}

static int write_file(const char *path, struct archive *a) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return -errno;
  int r = archive_read_data_into_fd(a, fd) == ARCHIVE_OK ? 0 : -EIO;
  return close(fd) < 0 && r == 0 ? -errno : r;
}

int iso_extract(const char *iso_path, const struct iso_image *img, const char *dir, json_t **files,
                struct ma_error *err) {
  int r = util_mkdir_p(dir, 0750);
  struct archive *a = r == 0 ? open_iso(iso_path) : NULL;
  if (!a)
    return bad(err, "extract_failed", "cannot extract into %s", dir);
  size_t want = json_array_size(img->modules) + 1, got = 0;
  json_t *out = json_array();
  for (size_t i = 0; i < want; i++)
    json_array_append_new(out, json_null());
  struct archive_entry *e;
  while (r == 0 && got < want && archive_read_next_header(a, &e) == ARCHIVE_OK) {
    const char *name = norm(archive_entry_pathname(e));
    size_t slot = strcmp(name, img->kernel) == 0 ? 0 : SIZE_MAX, i;
    json_t *m;
    json_array_foreach(img->modules, i, m) if (strcmp(json_string_value(m), name) == 0) slot =
        i + 1;
    if (slot == SIZE_MAX)
      continue;
    const char *base = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;
    char *dest = util_strdupf("%s/%s", dir, base);
    r = write_file(dest, a);
    json_array_set_new(out, slot, json_string(dest));
    free(dest);
    got++;
  }
  archive_read_free(a);
  if (r < 0 || got < want) {
    json_decref(out);
    return bad(err, "extract_failed", "could not extract the kernel and every module into %s", dir);
  }
  *files = out;
  return 0;
}

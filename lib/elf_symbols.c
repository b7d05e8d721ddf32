#include "lib/elf_symbols.h"

#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

#define UNPAGED_PREFIX "__k_unpaged_"
#define MAX_KERNEL (256u << 20)

struct table {
  const unsigned char *syms, *strs;
  size_t n_syms, sym_size, str_len;
  int bits;
};

static bool in_file(size_t off, size_t len, size_t size) {
  return off <= size && len <= size - off;
}

/* The section headers, the symbol table and the string table it links to. */
static int find_table(const unsigned char *d, size_t size, struct table *t) {
  if (size < EI_NIDENT || memcmp(d, ELFMAG, SELFMAG) != 0 || d[EI_DATA] != ELFDATA2LSB)
    return -ENOEXEC;
  t->bits = d[EI_CLASS] == ELFCLASS64 ? 64 : d[EI_CLASS] == ELFCLASS32 ? 32 : 0;
  size_t shoff, shnum, shentsize;
  if (t->bits == 32 && size >= sizeof(Elf32_Ehdr)) {
    const Elf32_Ehdr *h = (const void *)d;
    shoff = h->e_shoff, shnum = h->e_shnum, shentsize = h->e_shentsize;
  } else if (t->bits == 64 && size >= sizeof(Elf64_Ehdr)) {
    const Elf64_Ehdr *h = (const void *)d;
    shoff = h->e_shoff, shnum = h->e_shnum, shentsize = h->e_shentsize;
  } else {
    return -ENOEXEC;
  }
  size_t want = t->bits == 32 ? sizeof(Elf32_Shdr) : sizeof(Elf64_Shdr);
  if (shentsize != want || !in_file(shoff, shnum * shentsize, size))
    return -ENOEXEC;
  for (size_t i = 0; i < shnum; i++) {
    const unsigned char *sh = d + shoff + i * shentsize;
    uint32_t type =
        t->bits == 32 ? ((const Elf32_Shdr *)sh)->sh_type : ((const Elf64_Shdr *)sh)->sh_type;
    if (type != SHT_SYMTAB)
      continue;
    size_t off =
        t->bits == 32 ? ((const Elf32_Shdr *)sh)->sh_offset : ((const Elf64_Shdr *)sh)->sh_offset;
    size_t len =
        t->bits == 32 ? ((const Elf32_Shdr *)sh)->sh_size : ((const Elf64_Shdr *)sh)->sh_size;
    size_t link =
        t->bits == 32 ? ((const Elf32_Shdr *)sh)->sh_link : ((const Elf64_Shdr *)sh)->sh_link;
    if (link >= shnum || !in_file(off, len, size))
      return -ENOEXEC;
    const unsigned char *sl = d + shoff + link * shentsize;
    size_t soff =
        t->bits == 32 ? ((const Elf32_Shdr *)sl)->sh_offset : ((const Elf64_Shdr *)sl)->sh_offset;
    size_t slen =
        t->bits == 32 ? ((const Elf32_Shdr *)sl)->sh_size : ((const Elf64_Shdr *)sl)->sh_size;
    if (!in_file(soff, slen, size))
      return -ENOEXEC;
    t->sym_size = t->bits == 32 ? sizeof(Elf32_Sym) : sizeof(Elf64_Sym);
    *t = (struct table){d + off, d + soff, len / t->sym_size, t->sym_size, slen, t->bits};
    return 0;
  }
  return -ENOENT;
}

static int lookup(const struct table *t, const char *const *names, size_t n, uint64_t *addrs,
                  bool *unpaged) {
  int found = 0;
  for (size_t s = 0; s < t->n_syms; s++) {
    const unsigned char *sym = t->syms + s * t->sym_size;
    size_t name_off =
        t->bits == 32 ? ((const Elf32_Sym *)sym)->st_name : ((const Elf64_Sym *)sym)->st_name;
    uint64_t value =
        t->bits == 32 ? ((const Elf32_Sym *)sym)->st_value : ((const Elf64_Sym *)sym)->st_value;
    if (name_off >= t->str_len || !value)
      continue;
    const char *name = (const char *)t->strs + name_off;
    size_t max = t->str_len - name_off;
    if (strnlen(name, max) == max)
      continue;
    const char *plain = strncmp(name, UNPAGED_PREFIX, strlen(UNPAGED_PREFIX)) == 0
                            ? name + strlen(UNPAGED_PREFIX)
                            : name;
    for (size_t i = 0; i < n; i++) {
      /* The exact name wins over its unpaged twin. */
      if (strcmp(names[i], name) == 0 || (!addrs[i] && strcmp(names[i], plain) == 0)) {
        found += !addrs[i];
        addrs[i] = value;
        unpaged[i] = name != plain && strcmp(names[i], name) != 0;
      }
    }
  }
  return found;
}

int elf_symbols_find(const char *path, const char *const *names, size_t n, uint64_t *addrs,
                     bool *unpaged) {
  memset(addrs, 0, n * sizeof *addrs);
  _cleanup_(util_freep) bool *own = unpaged ? NULL : calloc(n ? n : 1, sizeof *own);
  if (!unpaged && !own)
    return -ENOMEM;
  unpaged = unpaged ? unpaged : own;
  memset(unpaged, 0, n * sizeof *unpaged);
  size_t size = 0;
  unsigned char *d = (unsigned char *)util_read_file(path, &size);
  if (!d)
    return -errno ? -errno : -EIO;
  struct table t = {0};
  int r = size <= MAX_KERNEL ? find_table(d, size, &t) : -EFBIG;
  if (r == 0)
    r = lookup(&t, names, n, addrs, unpaged);
  free(d);
  return r;
}

/* Function addresses from an ELF kernel's symbol table (32 or 64 bit, little
 * endian), for breakpoints on the phases a kernel prints nothing for. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* For each names[i], addrs[i] = its address, or 0 when the table lacks it. MINIX links its early
 * code under "__k_unpaged_NAME" (the real 3.4 kernel: MINIX, pre_init, kmain), which is tried too;
 * unpaged[i] (when unpaged is not NULL) says whether that name was the one found. Returns how many
 * were found, -ENOEXEC when path is no ELF file, -ENOENT when it has no symbol table, or -errno. */
int elf_symbols_find(const char *path, const char *const *names, size_t n, uint64_t *addrs,
                     bool *unpaged);

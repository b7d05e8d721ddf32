/* Function addresses from an ELF kernel's symbol table (32 or 64 bit, little
 * endian), for breakpoints on the phases a kernel prints nothing for. */
#pragma once
#include <stddef.h>
#include <stdint.h>

/* For each names[i], addrs[i] = its address, or 0 when the table lacks it (MINIX may link
 * pre_init unpaged: "__k_unpaged_NAME" is tried too). Returns how many were found, -ENOEXEC
 * when path is no ELF file, -ENOENT when it has no symbol table, or -errno. */
int elf_symbols_find(const char *path, const char *const *names, size_t n, uint64_t *addrs);

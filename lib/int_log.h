/* Counts interrupts and exceptions from QEMU's interrupt log (-d int, x86
 * under TCG): one "N: v=VV e=EEEE i=I cpl=..." line per delivery, followed by
 * a register dump that is skipped. Counts go into one-second buckets of the
 * time the daemon read them. System calls made with syscall/sysenter (Linux
 * x86_64, MINIX's default IPC) are not interrupts and never appear. */
#pragma once
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

enum int_kind { INT_EXCEPTION, INT_SOFTWARE, INT_HARDWARE };

struct int_counter;

struct int_counter *int_counter_new(void);
void int_counter_free(struct int_counter *c);
/* Log bytes read t_us after t0 (partial lines are kept for the next call). */
void int_counter_feed(struct int_counter *c, const char *buf, size_t len, int64_t t_us);
/* Calls fn for each (second, vector, kind, count) gathered so far. */
void int_counter_each(const struct int_counter *c,
                      void (*fn)(void *userdata, int second, int vector, enum int_kind kind,
                                 int64_t count),
                      void *userdata);
/* "page fault (#PF)" and the like for architectural vectors, "int 0x80 (Linux i386 system call)",
 * else NULL. */
const char *int_vector_name(int vector, enum int_kind kind);
const char *int_kind_name(enum int_kind kind);

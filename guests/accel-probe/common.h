/* Pieces both probe guests share: the multiboot header, COM1 output, the PIC
 * and the PIT. Each stage prints one line; the daemon reads how far a guest got
 * (lib/probe_image.c) and a stage that never prints is where KVM stopped. */
#define MB_MAGIC 0x1BADB002
#define MB_FLAGS 0x00010000 /* the load addresses are in the header (a.out kludge): a flat image */
#define COM1 0x3F8
#define EXIT_PORT 0xF4      /* isa-debug-exit, which the daemon's QEMU command line always adds */
#define PIT_HZ_DIVISOR 1193 /* about 1 kHz */
#define TICKS_WANTED 10     /* 10 ms of timer interrupts */
#define IRQ0_VECTOR 0x20    /* the master PIC remapped past the CPU's exceptions */

/* The header QEMU looks for in the first 8 KiB. */
.macro multiboot_header
    .section .multiboot, "a"
    .align 4
mb_header:
    .long MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)
    .long mb_header, image_start, image_end, bss_end, start32
.endm

/* Remaps the PICs to vectors 0x20-0x2f, only IRQ0 unmasked; programs PIT channel 0 as a rate generator. */
.macro pic_pit_setup
    mov $0x11, %al; out %al, $0x20; out %al, $0xA0
    mov $IRQ0_VECTOR, %al; out %al, $0x21
    mov $(IRQ0_VECTOR + 8), %al; out %al, $0xA1
    mov $4, %al; out %al, $0x21
    mov $2, %al; out %al, $0xA1
    mov $1, %al; out %al, $0x21; out %al, $0xA1
    mov $0xFE, %al; out %al, $0x21
    mov $0xFF, %al; out %al, $0xA1
    mov $0x34, %al; out %al, $0x43
    mov $(PIT_HZ_DIVISOR & 0xFF), %al; out %al, $0x40
    mov $(PIT_HZ_DIVISOR >> 8), %al; out %al, $0x40
.endm

/* Masks every IRQ again so that nothing fires once the probe is done. */
.macro pic_mask_all
    mov $0xFF, %al; out %al, $0x21; out %al, $0xA1
.endm

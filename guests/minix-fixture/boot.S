/* Multiboot (v1) entry of the MINIX *fixture* kernel. Not MINIX: a test guest
 * that imitates the console of MINIX 3.4 (see README.md). */
#define MB_MAGIC 0x1BADB002
#define MB_FLAGS 0x00000003 /* page-align modules, give memory info */

    .section .multiboot, "a"
    .align 4
    .long MB_MAGIC
    .long MB_FLAGS
    .long -(MB_MAGIC + MB_FLAGS)

    .section .bss
    .align 16
stack_bottom:
    .skip 16384
stack_top:

    .section .text
    /* Named like the label of MINIX's arch/i386/head.S, the kernel entry. */
    .globl MINIX
    .type MINIX, @function
MINIX:
    mov $stack_top, %esp
    push %ebx /* multiboot info */
    push %eax /* multiboot magic */
    call pre_init
1:  cli
    hlt
    jmp 1b

    .section .note.GNU-stack, "", @progbits

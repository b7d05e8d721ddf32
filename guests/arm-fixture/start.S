/* Entry of the ARM *fixture* (not MINIX): a stack, then C. */
    .syntax unified
    .arm
    .section .text.start, "ax"
    .globl _start
_start:
    ldr sp, =stack_top
    bl fixture_main
1:  wfi
    b 1b

    .section .bss
    .align 4
    .skip 16384
stack_top:

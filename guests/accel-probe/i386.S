/* The KVM probe for i386 guests (a fixture, not a real OS): what a 32-bit kernel
 * such as MINIX does early, each stage announced on COM1:
 *   pm      own GDT loaded, segments reloaded, stack set (32-bit protected mode)
 *   paging  4 KiB page tables on, identity map plus a 3 GiB alias, read back through the alias
 *   irq     IDT loaded, PIC remapped, 10 PIT interrupts taken with sti; hlt
 *   ok      then QEMU exits through isa-debug-exit
 * An exception prints "fault XX" (its vector) and exits. */
#include "common.h"

#define PAGE_ALIAS 0xC0000000 /* where a higher-half kernel sits */
#define FAULT_STUB_SIZE 8

    multiboot_header

    .text
    .code32
    .globl start32
start32:
    cli
    lgdt gdt_desc
    ljmp $0x08, $1f
1:  mov $0x10, %ax
    mov %ax, %ds; mov %ax, %es; mov %ax, %ss; mov %ax, %fs; mov %ax, %gs
    mov $stack_top, %esp
    mov $msg_pm, %esi
    call puts

    /* The loader need not zero the tables: the probe does (nothing on the stack is live here). */
    mov $page_dir, %edi
    mov $bss_end, %ecx
    sub %edi, %ecx
    shr $2, %ecx
    xor %eax, %eax
    rep stosl
    /* Page directory and one page table mapping the first 4 MiB, twice: at 0 and at PAGE_ALIAS. */
    mov $page_table, %edi
    mov $3, %eax            /* present, writable */
2:  mov %eax, (%edi)
    add $4096, %eax
    add $4, %edi
    cmp $(page_table + 4096), %edi
    jne 2b
    movl $(page_table + 3), page_dir
    movl $(page_table + 3), page_dir + (PAGE_ALIAS >> 22) * 4
    mov $page_dir, %eax
    mov %eax, %cr3
    mov %cr0, %eax
    or $0x80010000, %eax    /* PG, WP */
    mov %eax, %cr0
    jmp 3f
3:  mov (PAGE_ALIAS + magic), %eax
    cmp magic, %eax
    jne paging_wrong
    mov $msg_paging, %esi
    call puts

    /* Every exception to one handler; IRQ0 to the tick counter. */
    xor %ecx, %ecx
4:  mov $fault_stubs, %eax
    imul $FAULT_STUB_SIZE, %ecx, %edx
    add %edx, %eax
    call set_gate
    inc %ecx
    cmp $32, %ecx
    jne 4b
    mov $IRQ0_VECTOR, %ecx
    mov $on_tick, %eax
    call set_gate
    lidt idt_desc
    pic_pit_setup
    sti
5:  hlt
    cmpl $TICKS_WANTED, ticks
    jb 5b
    cli
    pic_mask_all
    mov $msg_irq, %esi
    call puts
    mov $msg_ok, %esi
    call puts
exit:
    xor %eax, %eax
    out %al, $EXIT_PORT
6:  cli
    hlt
    jmp 6b

paging_wrong:
    mov $msg_alias, %esi
    call puts
    jmp exit

/* IDT entry ecx -> handler eax: a 32-bit interrupt gate in segment 0x08. */
set_gate:
    lea idt(,%ecx,8), %edi
    mov %ax, (%edi)
    movw $0x08, 2(%edi)
    movw $0x8E00, 4(%edi)
    shr $16, %eax
    mov %ax, 6(%edi)
    ret

on_tick:
    push %eax
    incl ticks
    mov $0x20, %al
    out %al, $0x20          /* end of interrupt */
    pop %eax
    iret

/* One stub per exception vector, all the same size: push the vector, report it. */
    .align 8
fault_stubs:
    .set vec, 0
    .rept 32
    .align 8
    push $vec
    jmp fault
    .set vec, vec + 1
    .endr

fault:
    pop %ebx
    mov $msg_fault, %esi
    call puts
    mov %ebx, %eax
    shr $4, %eax
    call puthex
    mov %ebx, %eax
    call puthex
    mov $'\n', %al
    call putc
    jmp exit

/* COM1: wait for the transmit holding register before each byte. */
putc:
    push %edx
    push %eax
    mov $(COM1 + 5), %dx
1:  in %dx, %al
    test $0x20, %al
    jz 1b
    pop %eax
    mov $COM1, %dx
    out %al, %dx
    pop %edx
    ret

puthex:
    and $0xF, %eax
    movb hexdigits(%eax), %al
    jmp putc

puts:
    lodsb
    test %al, %al
    jz 1f
    call putc
    jmp puts
1:  ret

    .section .rodata
    .align 8
gdt:
    .quad 0
    .quad 0x00CF9A000000FFFF   /* 0x08: code, 4 GiB */
    .quad 0x00CF92000000FFFF   /* 0x10: data, 4 GiB */
gdt_end:
gdt_desc:
    .word gdt_end - gdt - 1
    .long gdt
idt_desc:
    .word 256 * 8 - 1
    .long idt
magic:
    .long 0x4B564D21
hexdigits:
    .ascii "0123456789abcdef"
msg_pm:     .asciz "pm\n"
msg_paging: .asciz "paging\n"
msg_irq:    .asciz "irq\n"
msg_ok:     .asciz "ok\n"
msg_fault:  .asciz "fault "
msg_alias:  .asciz "paging alias reads wrong\n"

    .bss
    .align 4096
page_dir:
    .skip 4096
page_table:
    .skip 4096
idt:
    .skip 256 * 8
ticks:
    .skip 4
    .align 16
stack:
    .skip 4096
stack_top:

    .section .note.GNU-stack, "", @progbits

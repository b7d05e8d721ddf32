/* The KVM probe for x86_64 guests (a fixture, not a real OS): what a 64-bit
 * kernel such as Linux does after its real-mode setup, each stage announced on COM1:
 *   pm        own GDT loaded, segments reloaded, stack set (32-bit protected mode, the multiboot entry)
 *   longmode  4-level page tables with 4 KiB pages, PAE, EFER.LME, paging on, far jump into 64-bit code
 *   paging64  running at the kernel's higher-half alias (0xffffffff80000000, as Linux), TLB flushed,
 *             a value read back through both mappings
 *   irq64     64-bit IDT, PIC remapped, 10 PIT interrupts taken with sti; hlt
 *   ok        then QEMU exits through isa-debug-exit
 * An exception prints "fault XX" (its vector) and exits. */
#include "common.h"

#define KERNEL_MAP 0xFFFFFFFF80000000
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
2:  lodsb                       /* 32-bit output: only this line */
    test %al, %al
    jz 4f
    mov %al, %bl
    mov $(COM1 + 5), %dx
3:  in %dx, %al
    test $0x20, %al
    jz 3b
    mov %bl, %al
    mov $COM1, %dx
    out %al, %dx
    jmp 2b

    /* Zero the tables (the loader need not), then: PML4[0] and PML4[511] -> two PDPTs,
     * PDPT_low[0] and PDPT_high[510] -> one PD, PD[0] -> one PT of 512 4 KiB pages (the first 2 MiB). */
4:  mov $pml4, %edi
    mov $bss_end, %ecx
    sub %edi, %ecx
    shr $2, %ecx
    xor %eax, %eax
    rep stosl
    movl $(pdpt_low + 3), pml4
    movl $(pdpt_high + 3), pml4 + 511 * 8
    movl $(pd + 3), pdpt_low
    movl $(pd + 3), pdpt_high + 510 * 8
    movl $(pt + 3), pd
    mov $pt, %edi
    mov $3, %eax
5:  mov %eax, (%edi)
    add $4096, %eax
    add $8, %edi
    cmp $(pt + 4096), %edi
    jne 5b
    mov %cr4, %eax
    or $0x20, %eax              /* PAE */
    mov %eax, %cr4
    mov $pml4, %eax
    mov %eax, %cr3
    mov $0xC0000080, %ecx       /* EFER */
    rdmsr
    or $0x100, %eax             /* LME */
    wrmsr
    mov %cr0, %eax
    or $0x80010001, %eax        /* PG, WP, PE */
    mov %eax, %cr0
    ljmp $0x18, $long_entry

    .code64
long_entry:
    mov $0x10, %ax
    mov %ax, %ds; mov %ax, %es; mov %ax, %ss; mov %ax, %fs; mov %ax, %gs
    lea msg_longmode(%rip), %rsi
    call puts

    /* Continue at the higher-half alias: from here on code and stack use it, data is reached RIP-relative. */
    movabs $KERNEL_MAP, %rax
    add %rax, %rsp
    lea high(%rip), %rbx
    add %rbx, %rax
    jmp *%rax
high:
    mov %cr3, %rax
    mov %rax, %cr3              /* flush the TLB: the walk must be right, not cached */
    mov magic(%rip), %eax
    mov magic, %edx             /* the same value through the identity map */
    cmp %eax, %edx
    jne paging_wrong
    lea msg_paging64(%rip), %rsi
    call puts

    /* Every exception to one handler; IRQ0 to the tick counter (handlers at their higher-half addresses). */
    xor %ecx, %ecx
6:  lea fault_stubs(%rip), %rax
    imul $FAULT_STUB_SIZE, %ecx, %edx
    add %rdx, %rax
    call set_gate
    inc %ecx
    cmp $32, %ecx
    jne 6b
    mov $IRQ0_VECTOR, %ecx
    lea on_tick(%rip), %rax
    call set_gate
    lea idt(%rip), %rax
    mov %rax, idt_base(%rip)
    lidt idt_desc(%rip)
    pic_pit_setup
    sti
7:  hlt
    cmpl $TICKS_WANTED, ticks(%rip)
    jb 7b
    cli
    pic_mask_all
    lea msg_irq64(%rip), %rsi
    call puts
    lea msg_ok(%rip), %rsi
    call puts
exit:
    xor %eax, %eax
    out %al, $EXIT_PORT
8:  cli
    hlt
    jmp 8b

paging_wrong:
    lea msg_alias(%rip), %rsi
    call puts
    jmp exit

/* IDT entry ecx -> handler rax: a 64-bit interrupt gate in segment 0x18. */
set_gate:
    mov %ecx, %edi
    shl $4, %edi
    lea idt(%rip), %rdx
    add %rdx, %rdi
    mov %ax, (%rdi)
    movw $0x18, 2(%rdi)
    movw $0x8E00, 4(%rdi)
    shr $16, %rax
    mov %ax, 6(%rdi)
    shr $16, %rax
    mov %eax, 8(%rdi)
    movl $0, 12(%rdi)
    ret

on_tick:
    push %rax
    incl ticks(%rip)
    mov $0x20, %al
    out %al, $0x20              /* end of interrupt */
    pop %rax
    iretq

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
    pop %rbx
    lea msg_fault(%rip), %rsi
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
    push %rdx
    push %rax
    mov $(COM1 + 5), %dx
1:  in %dx, %al
    test $0x20, %al
    jz 1b
    pop %rax
    mov $COM1, %dx
    out %al, %dx
    pop %rdx
    ret

puthex:
    and $0xF, %eax
    lea hexdigits(%rip), %rdx
    movb (%rdx, %rax), %al
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
    .quad 0x00CF9A000000FFFF   /* 0x08: 32-bit code */
    .quad 0x00CF92000000FFFF   /* 0x10: data */
    .quad 0x00AF9A000000FFFF   /* 0x18: 64-bit code */
gdt_end:
gdt_desc:
    .word gdt_end - gdt - 1
    .long gdt
magic:
    .long 0x4B564D21
hexdigits:
    .ascii "0123456789abcdef"
msg_pm:       .asciz "pm\n"
msg_longmode: .asciz "longmode\n"
msg_paging64: .asciz "paging64\n"
msg_irq64:    .asciz "irq64\n"
msg_ok:       .asciz "ok\n"
msg_fault:    .asciz "fault "
msg_alias:    .asciz "paging alias reads wrong\n"

    .data
    .align 8
idt_desc:
    .word 256 * 16 - 1
idt_base:
    .quad 0

    .bss
    .align 4096
pml4:
    .skip 4096
pdpt_low:
    .skip 4096
pdpt_high:
    .skip 4096
pd:
    .skip 4096
pt:
    .skip 4096
idt:
    .skip 256 * 16
ticks:
    .skip 4
    .align 16
stack:
    .skip 4096
stack_top:

    .section .note.GNU-stack, "", @progbits

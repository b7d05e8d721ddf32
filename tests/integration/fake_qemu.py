#!/usr/bin/env python3
"""A scripted stand-in for qemu-system-*, linked under that name into the
daemon's --qemu-dir: QMP and the serial console on the sockets the daemon names, then
what `fake=` on the -append line asks for, to provoke what a real QEMU will not
on cue:
  fake=oversized-event  after `cont`, an event of 2 MiB (QMP never sends one)
  fake=refuse-cont      answers `cont` with a QMP error (the daemon then kills it)
  fake=late-console     accepts the console only at the third query-chardev (QEMU accepts in its
                        main loop, maybe after `cont`); what the guest prints before that is
                        lost, as QEMU drops a chardev's output while no client is connected
  fake=long-info-mem    answers HMP "info mem" with a 3.8 MB listing (65,538 ranges,
                        the shape of Debian's generic kernel with 512 MB), twice,
                        then prints "fake done" on the console
The long listing totals LONG_INFO_MEM_KB kB."""
import json
import os
import socket
import sys
import time

LONG_INFO_MEM_KB = (0xf0000 + 0x98000) // 1024 + 65536 * 4


def long_info_mem():
    lines = ['0000000000400000-00000000004f0000 00000000000f0000 ur-',
             'ffff8c4080000000-ffff8c4080098000 0000000000098000 -rw']
    for i in range(65536):
        start = 0xffffff7b00007000 + (i << 16)
        lines.append(f'{start:016x}-{start + 0x1000:016x} 0000000000001000 -r-')
    return ''.join(line + '\r\n' for line in lines)


def option(argv, flag, key):
    """`key` of the comma-separated value after `flag` (`unix:` stripped), or None."""
    for i, a in enumerate(argv[:-1]):
        if a == flag:
            for part in argv[i + 1].removeprefix('unix:').split(','):
                if part.startswith(key):
                    return part[len(key):]
    return None


def listen(path):
    s = socket.socket(socket.AF_UNIX)
    s.bind(path)
    s.listen(1)
    return s


def main(argv):
    append = argv[argv.index('-append') + 1] if '-append' in argv else ''
    mode = next((a[5:] for a in append.split() if a.startswith('fake=')), '')
    qmp_server = listen(option(argv, '-qmp', ''))
    serial_server = listen(option(argv, '-chardev', 'path='))
    qmp, _ = qmp_server.accept()
    send = lambda obj: qmp.sendall(json.dumps(obj).encode() + b'\r\n')
    send({'QMP': {'version': {'qemu': {'micro': 0, 'minor': 2, 'major': 7}}, 'capabilities': []}})
    serial, answered, queries = None, 0, 0
    for line in qmp.makefile('rb'):
        cmd = json.loads(line)
        name, cid = cmd['execute'], cmd.get('id')
        if name == 'quit':
            send({'return': {}, 'id': cid})
            return 0
        if name == 'human-monitor-command':
            # As QEMU sends it: "return" first, the id after the long string.
            send({'return': long_info_mem() if mode == 'long-info-mem' else '', 'id': cid})
            answered += 1
            if answered == 2:
                serial.sendall(b'fake done\r\n')
            continue
        if name == 'cont' and mode == 'refuse-cont':
            send({'error': {'class': 'GenericError', 'desc': 'fake refusal'}, 'id': cid})
            continue
        if name == 'query-chardev':
            # As QEMU says it: "disconnected:" until the console's connection is accepted.
            queries += 1
            if serial is None and (mode != 'late-console' or queries >= 3):
                serial, _ = serial_server.accept()
            state = 'unix:fake,server=on' if serial else 'disconnected:unix:fake,server=on'
            send({'return': [{'label': 'ser0', 'filename': state, 'frontend-open': True}], 'id': cid})
            continue
        send({'return': [] if name == 'query-cpus-fast' else {}, 'id': cid})
        if name == 'cont':
            if serial is None and mode == 'late-console':  # the first line goes nowhere, as in QEMU
                serial, _ = serial_server.accept()
                serial.sendall(b'fake QEMU accepted its console late\r\n')
                continue
            if serial is None:
                serial, _ = serial_server.accept()
            serial.sendall(b'fake QEMU started\r\n')
            if mode == 'oversized-event':
                time.sleep(0.2)
                qmp.sendall(b'{"event": "FAKE", "data": {"text": "' + b'a' * (2 << 20) + b'"}}\r\n')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))

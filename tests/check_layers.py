#!/usr/bin/env python3
"""The layering check: dependencies point down only, as meson's static libraries link them.

    lib/       pure: no loop, no network, no higher layer          (libma)
    core/      the libuv core and the operations                    (libma-core: lib)
    api/       libmicrohttpd, REST, MCP, SSE, auth, metrics          (libma-api: core, lib)
    programs/  daemon/, cli/, iso-reader/: one folder per program   (executables)

- A folder includes headers of its own layer and of lower ones only; programs/ include no other program's
  files, and the CLI (programs/cli/) includes nothing from api/ and no libmicrohttpd: it links the core only.
- lib/ includes neither libuv, libmicrohttpd nor libcurl; core/ includes neither libmicrohttpd nor libcurl.
- SQL lives in the store: only lib/store*.c include <sqlite3.h> or lib/store_private.h.

Usage: check_layers.py SOURCE_ROOT. Exit 0 when the rules hold, 1 with one line per violation."""
import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]', re.M)
RANK = {'lib': 0, 'core': 1, 'api': 2, 'programs': 3}
SYSTEM_BANNED = {
    'lib': {'uv.h', 'microhttpd.h', 'curl/curl.h'},
    'core': {'microhttpd.h', 'curl/curl.h'},
    'api': {'curl/curl.h'},
    'programs/cli': {'microhttpd.h'},
}
STORE_ONLY = {'sqlite3.h', 'lib/store_private.h'}


def sources(root, folder):
    for dirpath, _, names in os.walk(os.path.join(root, folder)):
        for name in sorted(names):
            if name.endswith(('.c', '.h')):
                path = os.path.join(dirpath, name)
                yield os.path.relpath(path, root), open(path, encoding='utf-8', errors='replace').read()


def program_of(rel):
    parts = rel.split('/')
    return '/'.join(parts[:2]) if parts[0] == 'programs' and len(parts) > 2 else None


def check_include(rel, kind, header):
    layer = rel.split('/')[0]
    if header in STORE_ONLY and re.fullmatch(r'lib/store[a-z_]*\.[ch]', rel) is None:
        return f'{rel}: includes {header}: SQL lives in lib/store*.c only'
    for scope, banned in SYSTEM_BANNED.items():
        if header in banned and (rel.startswith(scope + '/')):
            return f'{rel}: includes <{header}>: not in {scope}/'
    if kind != '"' or '/' not in header:
        return None
    target = header.split('/')[0]
    if target not in RANK:
        return None
    if RANK[target] > RANK[layer]:
        return f'{rel}: includes {header}: {layer}/ is below {target}/ and includes no higher layer'
    if target == 'programs' and program_of(header) != program_of(rel):
        return f'{rel}: includes {header}: a program includes no other program\'s files'
    if rel.startswith('programs/iso-reader/') and target != 'lib':
        return f'{rel}: includes {header}: the ISO reader links lib/ only'
    if rel.startswith('programs/cli/') and target == 'api':
        return f'{rel}: includes {header}: the CLI links the core only, never api/'
    return None


def violations(root):
    found = []
    for folder in RANK:
        for rel, text in sources(root, folder):
            for kind, header in INCLUDE.findall(text):
                problem = check_include(rel, kind, header)
                if problem:
                    found.append(problem)
    return found


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), '..')
    found = violations(root)
    counted = {f: sum(1 for _ in sources(root, f)) for f in RANK}
    print('layers: ' + ', '.join(f'{f}/ {n} files' for f, n in counted.items()))
    for line in found:
        print(line)
    return 1 if found else 0


if __name__ == '__main__':
    sys.exit(main())

#!/usr/bin/env python3
"""The layering check (issue 16): dependencies point down only.

- lib/ is pure: it includes nothing from daemon/ or api/, and neither libuv, libmicrohttpd nor libcurl.
- SQL lives in the store: only lib/store*.c include <sqlite3.h> or lib/store_private.h.
- daemon/ does not include api/. This does not hold yet: daemon/ holds the programs (the daemon's main,
  the CLI) as well as the core, and issue 16 splits them. KNOWN_DAEMON_TO_API lists the includes of today;
  any other is a failure, and an entry that has gone is reported so that the list can shrink.

Usage: check_layers.py SOURCE_ROOT. Exit 0 when the rules hold, 1 with one line per violation."""
import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]', re.M)

# daemon/ -> api/ as of issue 16; remove an entry when its include goes, never add one.
KNOWN_DAEMON_TO_API = {
    ('daemon/cli_image.c', 'api/ops.h'),
    ('daemon/cli_install.c', 'api/ops.h'),
    ('daemon/server.c', 'api/mcp_http.h'),
    ('daemon/server.c', 'api/metrics.h'),
    ('daemon/server.c', 'api/rate_limit.h'),
    ('daemon/server.c', 'api/stream_limits.h'),
    ('daemon/server.c', 'api/page_cache.h'),
    ('daemon/server.c', 'api/rest.h'),
}
LOOP_AND_NETWORK = {'uv.h', 'microhttpd.h', 'curl/curl.h'}
STORE_ONLY = {'sqlite3.h', 'lib/store_private.h'}


def sources(root, folder):
    for dirpath, _, names in os.walk(os.path.join(root, folder)):
        for name in sorted(names):
            if name.endswith(('.c', '.h')):
                path = os.path.join(dirpath, name)
                yield os.path.relpath(path, root), open(path, encoding='utf-8', errors='replace').read()


def violations(root):
    found, daemon_to_api = [], set()
    for folder in ('lib', 'daemon', 'api'):
        for rel, text in sources(root, folder):
            is_store = re.fullmatch(r'lib/store[a-z_]*\.[ch]', rel) is not None
            for kind, header in INCLUDE.findall(text):
                if folder == 'lib' and kind == '"' and header.split('/')[0] in ('daemon', 'api'):
                    found.append(f'{rel}: includes {header}: lib/ is pure and includes no higher layer')
                if folder == 'lib' and header in LOOP_AND_NETWORK:
                    found.append(f'{rel}: includes <{header}>: lib/ has no loop and no network')
                if header in STORE_ONLY and not is_store:
                    found.append(f'{rel}: includes {header}: SQL lives in lib/store*.c only')
                if folder == 'daemon' and kind == '"' and header.startswith('api/'):
                    daemon_to_api.add((rel, header))
    for rel, header in sorted(daemon_to_api - KNOWN_DAEMON_TO_API):
        found.append(f'{rel}: includes {header}: daemon/ must not include api/ (a new include; issue 16)')
    return found, sorted(KNOWN_DAEMON_TO_API - daemon_to_api)


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), '..')
    found, gone = violations(root)
    print(f'known daemon/ -> api/ includes still to remove (issue 16): {len(KNOWN_DAEMON_TO_API) - len(gone)}')
    for rel, header in gone:
        print(f'note: {rel} no longer includes {header}: remove it from KNOWN_DAEMON_TO_API')
    for line in found:
        print(line)
    return 1 if found else 0


if __name__ == '__main__':
    sys.exit(main())

#!/usr/bin/env python3
"""C sources stay within 100 columns (.clang-format's ColumnLimit; `clang-format -i` fixes a file).

Usage: check_line_length.py SOURCE_ROOT. Exit 0 when every line fits, 1 with one line per long one."""
import os
import sys

FOLDERS = ('lib', 'core', 'api', 'programs', 'tests/unit', 'tests/fuzz', 'bench')
LIMIT = 100


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), '..')
    long_lines = checked = 0
    for folder in FOLDERS:
        for dirpath, _, names in os.walk(os.path.join(root, folder)):
            for name in sorted(names):
                if not name.endswith(('.c', '.h')):
                    continue
                path = os.path.join(dirpath, name)
                with open(path, encoding='utf-8', errors='replace') as f:
                    for number, line in enumerate(f, 1):
                        checked += 1
                        if len(line.rstrip('\n')) > LIMIT:
                            long_lines += 1
                            print(f'{os.path.relpath(path, root)}:{number}: {len(line.rstrip())} columns')
    print(f'{checked} lines checked, {long_lines} over {LIMIT} columns')
    return 1 if long_lines else 0


if __name__ == '__main__':
    sys.exit(main())

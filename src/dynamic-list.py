#!/usr/bin/env python3
"""Writes the linker dynamic list of flagman's plug-in interface.

The flagman binary exports exactly the functions that the public header
include/flagman/action.h declares, and nothing else: a plug-in that calls
any other function of flagman's is refused at load ("undefined symbol").
meson runs this script on the header at build time and links flagman with
-Wl,--dynamic-list=OUTPUT, so the list and the header cannot disagree.

    dynamic-list.py HEADER OUTPUT
"""
import re
import sys


def declared_functions(text):
    """The fm_* names that the header declares as functions."""
    text = re.sub(r'/\*.*?\*/', ' ', text, flags=re.S)
    text = re.sub(r'//[^\n]*', ' ', text)
    text = re.sub(r'^[ \t]*#[^\n]*', ' ', text, flags=re.M)
    # A declaration is a name followed by its parameter list; callbacks in
    # the structures are written (*name)(...) and are not matched.
    return sorted(set(re.findall(r'\b(fm_[a-z0-9_]+)\s*\(', text)))


def main(argv):
    if len(argv) != 3:
        sys.stderr.write('usage: dynamic-list.py HEADER OUTPUT\n')
        return 2
    with open(argv[1], encoding='utf-8') as f:
        names = declared_functions(f.read())
    if not names:
        sys.stderr.write('%s: no fm_* function declared\n' % argv[1])
        return 1
    with open(argv[2], 'w', encoding='utf-8') as f:
        f.write('/* Generated from %s by src/dynamic-list.py. */\n{\n'
                % argv[1].split('/')[-1])
        for name in names:
            f.write('\t%s;\n' % name)
        f.write('};\n')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))

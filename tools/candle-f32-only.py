#!/usr/bin/env python3
"""Writes patches/candle-core-wasm-f32.patch: candle-core's CPU kernels in wasm for the dtypes
GenLab computes in (f32, u32, u8) only.

candle monomorphises every CPU kernel for all its dtypes, and a match over the storage's dtype
keeps each one alive; in the browser core that was 1,067 kB of code no lab runs
(docs/benchmarks.md#bundle-size). This script puts `#[cfg(not(target_arch = "wasm32"))]` on
every match arm whose pattern names another dtype, and ends each such match with a wasm-only
arm that returns an error naming what the core computes in. Native builds compile as before.

Run it again when candle-core is upgraded:
    tools/candle-f32-only.py CANDLE_SRC > patches/candle-core-wasm-f32.patch
where CANDLE_SRC is the registry's candle-core source (the Makefile's `crate_src`).
"""
import difflib
import re
import sys
from pathlib import Path

FILES = ['src/cpu_backend/mod.rs', 'src/cpu_backend/utils.rs']
PRUNED = ('I16', 'I32', 'I64', 'BF16', 'F16', 'F64', 'F8E4M3')
ARM_START = re.compile(r'^\s*\(?(?:Self|C|CpuStorage|DType|_)\b')
# an arm that already takes every other dtype: `_`, a binding, or a pair of bindings
CATCHES_ALL = re.compile(r'^\s*(?:_|[a-z_][a-z0-9_]*|\([a-z_][a-z0-9_]*, *[a-z_][a-z0-9_]*\)) =>')
ONLY_WASM = '#[cfg(not(target_arch = "wasm32"))]'
# `{op}`: the function the match is in, so that a report names what was missing
CATCH_ALL = ('#[cfg(target_arch = "wasm32")]',
             '_ => return Err(crate::Error::Msg("candle\'s {op} is left out of GenLab\'s browser core for this '
             'dtype (it keeps f32, u32 and u8): a GenLab bug, please report it".to_string()).bt()),')
# dtypes kept in some functions only: candle turns an f64 scalar into a tensor of the
# operand's dtype (`clamp`, `maximum`, … with a number) through `to_dtype`
PRUNED_EXCEPT = {'to_dtype': ('F64',)}
HEADER = '''GenLab's browser cores (make build: pkg/ and pkg/threads/) build candle-core with this change,
made by tools/candle-f32-only.py. In wasm, each match over a storage's dtype keeps only the arms
of f32, u32 and u8, the dtypes the labs compute in (and f64 in `to_dtype`, through which candle
turns a number into a tensor); another dtype gets an error naming the function. Native builds
compile exactly as before.
'''


def names_pruned(kept=()):
    """A pattern that finds a pruned dtype (other than `kept`) named in code."""
    names = [d for d in PRUNED if d not in kept]
    return re.compile(r'(?:Self|C|CpuStorage|DType)::(?:%s)\b' % '|'.join(names))


def code_mask(text):
    """For each character, whether it is code (not in a comment, string or char literal)."""
    mask = [True] * len(text)
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith('//', i):
            j = text.find('\n', i)
            j = n if j < 0 else j
        elif text.startswith('/*', i):
            j = text.find('*/', i) + 2
        elif c == '"':
            j = i + 1
            while text[j] != '"':
                j += 2 if text[j] == '\\' else 1
            j += 1
        elif c == "'" and (text[i + 1] == '\\' or text[i + 2:i + 3] == "'"):
            j = text.find("'", i + 2) + 1
        else:
            i += 1
            continue
        for k in range(i, j):
            mask[k] = False
        i = j
    return mask


def brace_depths(text, mask):
    """For each character, how many code braces before it are open (a brace itself counts from
    the next character on)."""
    depth, depth_at = 0, []
    for i, c in enumerate(text):
        depth_at.append(depth)
        if mask[i] and c == '{':
            depth += 1
        elif mask[i] and c == '}':
            depth -= 1
    return depth_at


def prune(text):
    """The text with every pruned-dtype arm gated and its match given a wasm catch-all."""
    mask = code_mask(text)
    depth_at = brace_depths(text, mask)
    lines = text.split('\n')
    starts = [0]
    for line in lines[:-1]:
        starts.append(starts[-1] + len(line) + 1)
    gated, ends = set(), {}
    for no, line in enumerate(lines):
        if not ARM_START.match(line) or '=>' not in text[starts[no]:text.find('=>', starts[no]) + 2]:
            continue
        pattern = text[starts[no]:text.find('=>', starts[no])]
        op = re.findall(r'\bfn (\w+)', text[:starts[no]])[-1]
        pruned = names_pruned(PRUNED_EXCEPT.get(op, ()))
        if any(ch in pattern for ch in ';{}') or not pruned.search(pattern):
            continue
        if text[starts[no] + len(pattern) + 2:].lstrip().startswith('DType::'):
            continue  # naming a storage's dtype (`dtype()`), not a kernel
        alternatives = [a for a in re.split(r'\|(?!\|)', pattern) if a.strip()]
        if not all(pruned.search(a) for a in alternatives):
            continue  # also names a kept dtype (a check inside a generic kernel): left as it is
        gated.add(no)
        # the match's closing brace: the first one that leaves the depth the arm sits at
        i, d = starts[no] + len(line), depth_at[starts[no]]
        while not (mask[i] and text[i] == '}' and depth_at[i] == d):
            i += 1
        end = text.count('\n', 0, i)
        if not lines[end].lstrip().startswith('}'):
            sys.exit(f'line {end + 1}: the match ends after other code; end it on its own line first')
        arms = [l for k, l in enumerate(lines[no:end], no) if depth_at[starts[k]] == depth_at[starts[no]]]
        if not any(CATCHES_ALL.match(l) for l in arms):
            ends[end] = (line[:len(line) - len(line.lstrip())], op)
    out = []
    for no, line in enumerate(lines):
        if no in ends:
            indent, op = ends[no]
            out += [indent + CATCH_ALL[0], indent + CATCH_ALL[1].replace('{op}', op)]
        if no in gated:
            out.append(line[:len(line) - len(line.lstrip())] + ONLY_WASM)
        out.append(line)
    return '\n'.join(out)


def main():
    src = Path(sys.argv[1])
    print(HEADER)
    for name in FILES:
        before = (src / name).read_text()
        after = prune(before)
        sys.stdout.writelines(difflib.unified_diff(
            before.splitlines(keepends=True), after.splitlines(keepends=True), f'a/{name}', f'b/{name}'))


if __name__ == '__main__':
    main()

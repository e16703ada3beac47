#!/usr/bin/env python3
"""Writes patches/candle-core-wasm-ops.patch: candle-core's CPU ops that no GenLab lab calls are
left out of the browser cores.

candle's autograd (`Tensor::backward`) and its op dispatch name every op, so the linker keeps
each CPU kernel even when nothing builds that op: gathers and scatters, index ops, convolutions,
pooling, upsampling, `powf`, `elu`. GenLab's layers are its own custom ops (`genlab::nn`), which
call none of them. In wasm each of these `CpuStorage` methods is replaced by one that returns an
error naming it, their arms of `Tensor::backward` by one arm that returns an error, and
`where_cond` keeps only u8 conditions (the masks candle's comparisons make); native builds
compile as before. The patch applies after
patches/candle-core-wasm-f32.patch (it is written against that patch's result).

Run it again when candle-core is upgraded:
    tools/candle-unused-ops.py CANDLE_SRC > patches/candle-core-wasm-ops.patch
where CANDLE_SRC is the registry's candle-core source (the Makefile's `crate_src`).
"""
import difflib
import importlib.util
import re
import sys
from pathlib import Path

FILE = 'src/cpu_backend/mod.rs'
# `CpuStorage` methods of `BackendStorage` that no lab reaches (checked by the wasm tests and the
# browser tests, which run every lab's training and sampling in the core that ships)
LEFT_OUT = ('elu', 'avg_pool2d', 'max_pool2d', 'upsample_nearest1d', 'upsample_nearest2d',
            'upsample_bilinear2d', 'powf', 'conv1d', 'conv_transpose1d', 'conv2d',
            'conv_transpose2d', 'index_select', 'gather', 'scatter_set', 'scatter_add_set',
            'index_add')
# match arms left out in wasm, by method: the match's own catch-all then reports the dtype.
# where_cond on a u32 condition: candle's comparisons make u8 masks, and no lab builds another.
LEFT_OUT_ARMS = {'where_cond': ('Self::U32(pred) =>',)}
# the same ops' arms in `Tensor::backward`, which would keep their tensor-level code alive
BACKWARD_FILE = 'src/backprop.rs'
BACKWARD_LEFT_OUT = ('Op::Conv1D {', 'Op::ConvTranspose1D {', 'Op::Conv2D {', 'Op::ConvTranspose2D {',
                     'Op::AvgPool2D {', 'Op::MaxPool2D {', 'Op::UpsampleNearest1D {',
                     'Op::UpsampleNearest2D {', 'Op::UpsampleBilinear2D {', 'Op::Gather(',
                     'Op::Scatter(', 'Op::ScatterAdd(', 'Op::IndexAdd(', 'Op::IndexSelect(',
                     'Op::Powf(', 'Op::Elu(')
BACKWARD_ERROR = ('_ => Err(crate::Error::Msg("this op\'s gradient is left out of GenLab\'s browser core '
                  '(no lab uses it): a GenLab bug, please report it".to_string()).bt())?,')
# the kernels left out leave their helpers (structs, conv2d's functions, imports) unused in wasm
ALLOW_UNUSED = '#![cfg_attr(target_arch = "wasm32", allow(dead_code, unused_imports))]\n'
ONLY_NATIVE = '#[cfg(not(target_arch = "wasm32"))]'
ONLY_WASM = '#[cfg(target_arch = "wasm32")]'
ERROR = ('Err(crate::Error::Msg("candle\'s {op} is left out of GenLab\'s browser core (no lab uses '
         'it): a GenLab bug, please report it".to_string()).bt())')
HEADER = '''GenLab's browser cores (make build: pkg/ and pkg/threads/) build candle-core with this change,
made by tools/candle-unused-ops.py, after candle-core-wasm-f32.patch. In wasm, the CPU kernels of
ops no lab calls (gathers, scatters, index ops, convolutions, pooling, upsampling, powf, elu)
and their gradients are replaced by an error, and where_cond takes u8 conditions only (the masks
candle's comparisons make). Native builds compile exactly as before.
'''


def f32_only():
    """tools/candle-f32-only.py, whose result this patch applies to."""
    spec = importlib.util.spec_from_file_location('f32', Path(__file__).with_name('candle-f32-only.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def leave_out(text, f32):
    """The text with each LEFT_OUT method native-only beside a wasm twin that returns an error,
    and each of LEFT_OUT_ARMS native-only."""
    impl = text.index('impl BackendStorage for CpuStorage {')
    for op in LEFT_OUT:
        found = re.compile(r'\n( *)fn %s\(' % op).search(text, impl)
        if not found:
            sys.exit(f'`fn {op}(` not found in the CpuStorage impl: update LEFT_OUT')
        indent, start = found.group(1), found.start() + 1
        body = text.index('{', text.index(') ->', start))
        mask = f32.code_mask(text)
        depth_at = f32.brace_depths(text, mask)
        end = body + 1  # the body's closing brace: the first that leaves the body's depth
        while not (mask[end] and text[end] == '}' and depth_at[end] == depth_at[body] + 1):
            end += 1
        signature = re.sub(r'\b(?!self\b)[a-z_][a-z0-9_]*: ', '_: ', text[start + len(indent):body])
        twin = (f'\n\n{indent}{ONLY_WASM}\n{indent}{signature}{{\n{indent}    '
                f'{ERROR.replace("{op}", op)}\n{indent}}}')
        text = text[:start] + indent + ONLY_NATIVE + '\n' + text[start:end + 1] + twin + text[end + 1:]
    first_item = re.search(r'^(?!//)', text, re.M).start()
    text = text[:first_item] + ALLOW_UNUSED + text[first_item:]
    for op, arms in LEFT_OUT_ARMS.items():
        start = text.index(f'fn {op}(', impl)
        for arm in arms:
            at = text.index(arm, start)
            line = text.rindex('\n', 0, at) + 1
            text = text[:line] + ' ' * (at - line) + ONLY_NATIVE + '\n' + text[line:]
    return text


def leave_out_gradients(text, f32):
    """The text with each of BACKWARD_LEFT_OUT's arms of `Tensor::backward` native-only, and a
    wasm catch-all arm that returns an error."""
    mask = f32.code_mask(text)
    depth_at = f32.brace_depths(text, mask)
    start = text.index('pub fn backward(')
    arms = [m.start() for m in re.finditer(r'\n( *)(%s)' % '|'.join(map(re.escape, BACKWARD_LEFT_OUT)), text)
            if m.start() > start]
    if len(arms) != len(BACKWARD_LEFT_OUT):
        sys.exit(f'found {len(arms)} of the {len(BACKWARD_LEFT_OUT)} arms in Tensor::backward: update BACKWARD_LEFT_OUT')
    arm_depth = depth_at[arms[0] + 1]
    end = arms[-1]
    while not (mask[end] and text[end] == '}' and depth_at[end] == arm_depth):
        end += 1
    end = text.rindex('\n', 0, end) + 1  # the line of the match's closing brace
    indent = ' ' * (len(text[arms[0] + 1:]) - len(text[arms[0] + 1:].lstrip(' ')))
    text = text[:end] + f'{indent}{ONLY_WASM}\n{indent}{BACKWARD_ERROR}\n' + text[end:]
    for at in reversed(arms):
        text = text[:at + 1] + indent + ONLY_NATIVE + '\n' + text[at + 1:]
    return text


def main():
    f32 = f32_only()
    src = Path(sys.argv[1])
    print(HEADER)
    for name, before, change in (
        (FILE, f32.prune((src / FILE).read_text()), leave_out),
        (BACKWARD_FILE, (src / BACKWARD_FILE).read_text(), leave_out_gradients),
    ):
        after = change(before, f32)
        sys.stdout.writelines(difflib.unified_diff(
            before.splitlines(keepends=True), after.splitlines(keepends=True), f'a/{name}', f'b/{name}'))


if __name__ == '__main__':
    main()

#!/usr/bin/env python3
"""What a fresh instance of a module must set up: its sections, its linear memory and the
data segments copied (or mapped copy-on-write) into it, page by page.

    python3 bench/wasm-layout.py policy.wasm floor.wasm

The policy server makes a new instance for every request, so every byte of the data section
and every page of the initial memory that the guest touches is paid per request. For each
module: section sizes; the memory's initial pages and the stack pointer's start (the Rust
stack sits below the data); each data segment's offset, size, the 4 KiB host pages it spans
and how many of those pages are all zeros (wasmtime maps the data as an image; a page the
guest reads faults it in, a page it writes is copied).
"""
import sys

SECTION_NAMES = {0: "custom", 1: "type", 2: "import", 3: "function", 4: "table", 5: "memory",
                 6: "global", 7: "export", 8: "start", 9: "elem", 10: "code", 11: "data",
                 12: "datacount"}
WASM_PAGE = 65536
HOST_PAGE = 4096


def leb(data, pos, signed=False):
    result = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            break
    if signed and byte & 0x40:
        result -= 1 << shift
    return result, pos


def const_expr(data, pos):
    """An init expression; returns (its i32/i64 value or None, position after `end`)."""
    value = None
    op = data[pos]
    pos += 1
    if op in (0x41, 0x42):  # i32.const, i64.const
        value, pos = leb(data, pos, signed=True)
    elif op == 0x23:  # global.get
        _, pos = leb(data, pos)
    while data[pos] != 0x0B:
        pos += 1
    return value, pos + 1


def read_name(data, pos):
    n, pos = leb(data, pos)
    return data[pos:pos + n].decode("utf-8", "replace"), pos + n


def layout(path):
    data = open(path, "rb").read()
    assert data[:4] == b"\0asm", f"{path} is not a WebAssembly module"
    pos = 8
    sections, memory, globals_, segments, customs = [], None, [], [], []
    while pos < len(data):
        sid = data[pos]
        size, body = leb(data, pos + 1)
        end = body + size
        name = SECTION_NAMES.get(sid, str(sid))
        if sid == 0:
            cname, _ = read_name(data, body)
            name = f"custom {cname!r}"
            customs.append(cname)
        sections.append((name, size))
        if sid == 5:
            _, p = leb(data, body)
            flags, p = leb(data, p)
            initial, p = leb(data, p)
            maximum = leb(data, p)[0] if flags & 1 else None
            memory = (initial, maximum)
        elif sid == 6:
            count, p = leb(data, body)
            for _ in range(count):
                p += 2  # value type, mutability
                value, p = const_expr(data, p)
                globals_.append(value)
        elif sid == 11:
            count, p = leb(data, body)
            for _ in range(count):
                flags, p = leb(data, p)
                offset = None
                if flags == 2:
                    _, p = leb(data, p)
                if flags in (0, 2):
                    offset, p = const_expr(data, p)
                n, p = leb(data, p)
                segments.append((offset, data[p:p + n]))
                p += n
        pos = end
    return len(data), sections, memory, globals_, segments


def report(path):
    total, sections, memory, globals_, segments = layout(path)
    print(f"{path}: {total} B ({total / 1024:.1f} KiB)")
    for name, size in sections:
        print(f"  section {name:<28} {size:>8} B")
    if memory:
        initial, maximum = memory
        print(f"  memory: {initial} pages initial ({initial * WASM_PAGE // 1024} KiB)"
              + (f", {maximum} maximum" if maximum is not None else ", no maximum"))
    if globals_ and globals_[0] is not None:
        print(f"  global 0 (the stack pointer) starts at {globals_[0]} ({globals_[0] / 1024:.0f} KiB):"
              " the stack grows down from there")
    data_bytes = 0
    for i, (offset, content) in enumerate(segments):
        data_bytes += len(content)
        if offset is None:
            print(f"  data segment {i}: passive, {len(content)} B")
            continue
        first, last = offset // HOST_PAGE, (offset + len(content) - 1) // HOST_PAGE
        zero_pages = 0
        for page in range(first, last + 1):
            lo, hi = max(offset, page * HOST_PAGE), min(offset + len(content), (page + 1) * HOST_PAGE)
            if not any(content[lo - offset:hi - offset]):
                zero_pages += 1
        zeros = content.count(0)
        print(f"  data segment {i}: at {offset:#x}, {len(content)} B ({len(content) / 1024:.1f} KiB),"
              f" {last - first + 1} host pages of 4 KiB ({zero_pages} all zeros),"
              f" {zeros} zero bytes ({100 * zeros / max(1, len(content)):.0f} %)")
    if segments:
        end = max((o or 0) + len(c) for o, c in segments)
        print(f"  data: {data_bytes} B in {len(segments)} segments, ending at {end:#x}"
              f" ({end / 1024:.1f} KiB): the heap starts after it")
    print()


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    for arg in sys.argv[1:]:
        report(arg)

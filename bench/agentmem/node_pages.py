#!/usr/bin/env python3
"""Which pages of the node binary are resident in a process, by ELF section and by code category.

  node_pages.py PID|SAVED.json [--save FILE] [--diff OLDFILE] [--top N]

Reads /proc/PID/maps + /proc/PID/pagemap (root) for every mapping of the process's executable,
attributes each present page to the ELF sections / symbols it overlaps (non-PIE binary: vaddr == ELF
address), and with --diff reports only pages present now but not in OLDFILE (a --save of before).
Also reads /proc/kpageflags for the present pages to say how many sit in large folios.
"""
import argparse, bisect, json, os, re, struct, subprocess, sys
from collections import defaultdict

PAGE = os.sysconf("SC_PAGE_SIZE")
ELF_BIAS = 0x400000  # vaddr - file offset of the read-only/text segments of a non-PIE x86-64 binary

def elf_tables(path):
    secs = []
    for l in subprocess.run(["readelf", "-SW", path], capture_output=True, text=True).stdout.splitlines():
        m = re.match(r"\s*\[\s*\d+\]\s+(\S+)\s+\S+\s+([0-9a-f]+)\s+[0-9a-f]+\s+([0-9a-f]+)", l)
        if m and int(m.group(2), 16):
            secs.append((int(m.group(2), 16), int(m.group(2), 16) + int(m.group(3), 16), m.group(1)))
    syms = {}
    for l in subprocess.run(["readelf", "-sW", path], capture_output=True, text=True).stdout.splitlines():
        p = l.split()
        if len(p) < 8 or not p[0].endswith(":") or p[3] not in ("FUNC", "OBJECT"): continue
        if not re.match(r"^(0x[0-9a-f]+|\d+)$", p[2]): continue
        size = int(p[2], 16) if p[2].startswith("0x") else int(p[2])
        addr = int(p[1], 16)
        if addr and size: syms[addr] = max((size, p[7]), syms.get(addr, (0, "")))
    starts = sorted(syms)
    return secs, starts, syms

def demangle(names):
    if not names: return {}
    out = subprocess.run(["c++filt"], input="\n".join(names), capture_output=True, text=True).stdout.splitlines()
    return dict(zip(names, out))

GC = r"(Heap|MarkCompact|Mark|Scaveng|Sweep|Concurrent|Minor|Evacuat|Compact|GCTracer|Memory(Allocator|Reducer)|PagedSpace|NewSpace|LargeObject|Incremental|ArrayBufferSweeper|Page\b|MemoryChunk|Remembered|SlotSet|TypedSlot|Worklist|Evacuation|Marking|LocalHeap|Safepoint|GlobalHandles|EphemeronTable|WeakObjects|ObjectStats|StressScavenge|ScavengeJob|Marker)"
# (pattern on the demangled name, category): the first match wins, so the specific ones come first.
CATEGORIES = [
    (r"^Builtins_", "v8 builtins (embedded blob)"),
    (r"^icudt78_dat$", "ICU data (icudt78_dat)"),
    (r"blob_data", "v8 snapshot blob"),
    (r"v8::internal::compiler::turboshaft", "v8 turboshaft"),
    (r"v8::internal::compiler::", "v8 turbofan (compiler::)"),
    (r"v8::internal::maglev", "v8 maglev"),
    (r"v8::internal::wasm|wasm::", "v8 wasm"),
    (r"v8::internal::baseline", "v8 sparkplug"),
    (r"v8::internal::(interpreter|Interpreter)", "v8 interpreter/bytecode"),
    (r"v8::internal::(Parser|Scanner|PreParser|ParserBase|AstNode|Ast|Scope|DeclarationScope|FuncNameInferrer|Utf16CharacterStream|.*Literal)", "v8 parser/AST"),
    (r"cppgc::", "v8 cppgc"),
    (r"v8::internal::(Regexp|RegExp|regexp)", "v8 regexp"),
    (r"v8::internal::(Intl|JSDateTimeFormat|JSNumberFormat|JSCollator|JSLocale|JSPluralRules|JSSegment|JSListFormat|JSRelativeTimeFormat|JSDisplayNames)", "v8 Intl glue"),
    (r"v8::internal::(Deoptimizer|Deopt|TranslatedState|TranslatedFrame|OptimizingCompileDispatcher|TieringManager|Compiler::)", "v8 tiering/deopt"),
    (r"v8::internal::(Assembler|MacroAssembler|TurboAssembler|AssemblerBase|CodeDesc|Factory::CodeBuilder|RelocInfo|RelocIterator)", "v8 assembler/codegen"),
    (r"v8::internal::(heap::|" + GC[1:-1] + ")", "v8 heap/GC"),
    (r"^(?=.*(v8::platform|v8::base|v8::internal::Runtime_|v8::internal::Builtin_)).*(Runtime_|Builtin_)", "v8 runtime fns"),
    (r"v8::platform|v8::base", "v8 base/platform"),
    (r"^(v8::|void v8::|.*\bv8::)", "v8 other"),
    (r"icu_\d+|_78\b|^u[a-z]*_\w+_78", "ICU code"),
    (r"node::|^node_|napi_|\bnode::", "node core (C++)"),
    (r"^uv_|^uv__", "libuv"),
    (r"simdutf|simdjson|ada::|llhttp|nghttp|ngtcp|BrotliDecoder|Brotli|brotli|inflate|deflate|crc32|adler|zlib|ares_|uvwasi|histogram|hdr_", "other C libs (simdutf/ada/llhttp/nghttp2/brotli/zlib/cares)"),
    (r"^(std::|__gnu|operator|__cxx|_GLOBAL__)", "libstdc++ inline/other"),
]

def category(name):
    return next((label for pattern, label in CATEGORIES if re.search(pattern, name)), "other C (mostly OpenSSL)")

def present_pages(pid, exe):
    maps = []
    with open(f"/proc/{pid}/maps") as f:
        for l in f:
            p = l.split()
            if len(p) >= 6 and p[5] == exe:
                a, b = (int(x, 16) for x in p[0].split("-"))
                maps.append((a, b, p[1], int(p[2], 16)))
    present = {}
    with open(f"/proc/{pid}/pagemap", "rb") as pm:
        for a, b, perm, off in maps:
            pm.seek(a // PAGE * 8)
            data = pm.read((b - a) // PAGE * 8)
            for i in range(len(data) // 8):
                e = struct.unpack_from("<Q", data, i * 8)[0]
                if e >> 63 & 1:
                    # key: the ELF address of the page (a remapped copy, e.g. V8's embedded builtins, lands on its ELF address; "+dup" marks the 2nd mapping)
                    elf = off + i * PAGE + ELF_BIAS if a >= 0x7f0000000000 else a + i * PAGE
                    key = elf if elf not in present else elf + 1
                    present[key] = (e & ((1 << 55) - 1), perm, e >> 61 & 1)
    return maps, present

def kflags(pfns):
    out = {}
    try:
        with open("/proc/kpageflags", "rb") as kf:
            for pfn in pfns:
                if not pfn: continue
                kf.seek(pfn * 8); out[pfn] = struct.unpack("<Q", kf.read(8))[0]
    except OSError: pass
    return out

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("pid"); ap.add_argument("--save"); ap.add_argument("--diff"); ap.add_argument("--top", type=int, default=0)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    if a.pid.endswith(".json"):  # offline: a page set saved by --save (no PFNs, no mappings)
        exe = "/usr/bin/node"
        with open(a.pid) as f: present = {p: (0, "", 0) for p in json.load(f)}
        maps = []
    else:
        exe = os.readlink(f"/proc/{a.pid}/exe")
        maps, present = present_pages(a.pid, exe)
    secs, starts, syms = elf_tables(exe)
    pages = sorted(present)
    if a.save:
        with open(a.save, "w") as f: json.dump(pages, f)
    base = set()
    if a.diff:
        with open(a.diff) as f: base = set(json.load(f))
    sel = [p for p in pages if p not in base]
    gone = len(base - set(pages))
    # sections
    by_sec = defaultdict(int)
    for p in sel:
        hit = False
        for s, e, n in secs:
            lo, hi = max(s, p), min(e, p + PAGE)
            if lo < hi: by_sec[n] += hi - lo; hit = True
        if not hit: by_sec["(no section: padding/headers)"] += PAGE
    # symbols -> categories
    by_sym = defaultdict(int)
    selset = set(sel)
    covered = defaultdict(int)
    for s in starts:
        size, name = syms[s]
        for pg in range(s // PAGE * PAGE, s + size, PAGE):
            for key in (pg, pg + 1):  # pg + 1: the same file page mapped a second time
                if key in selset:
                    o = min(s + size, pg + PAGE) - max(s, pg)
                    by_sym[name] += o; covered[key] += o
    by_sym["(unattributed)"] = sum(max(0, PAGE - covered[p]) for p in sel)
    dup = sum(1 for p in sel if p % PAGE)
    dm = demangle([n for n in by_sym if n.startswith("_Z")])
    by_cat = defaultdict(int)
    for n, b in by_sym.items():
        by_cat["(gaps/unattributed)" if n == "(unattributed)" else category(dm.get(n, n))] += b
    kf = kflags([present[p][0] for p in sel])
    large = sum(1 for p in sel if kf.get(present[p][0], 0) & ((1 << 15) | (1 << 16)))
    rep = {"pid": a.pid, "exe": exe, "mappings": [(hex(x), hex(y), z, hex(o)) for x, y, z, o in maps],
           "pages": len(sel), "MB": round(len(sel) * PAGE / 2**20, 2), "gone_since_base": gone,
           "in_large_folios": large, "double_mapped_MB": round(dup * PAGE / 2**20, 2), "pfn_visible": any(present[p][0] for p in sel),
           "sections_MB": {k: round(v / 2**20, 2) for k, v in sorted(by_sec.items(), key=lambda x: -x[1]) if v > 20000},
           "categories_MB": {k: round(v / 2**20, 2) for k, v in sorted(by_cat.items(), key=lambda x: -x[1]) if v > 20000}}
    if a.top:
        rep["top_symbols_KB"] = [(round(b / 1024), dm.get(n, n)[:140]) for n, b in sorted(by_sym.items(), key=lambda x: -x[1])[:a.top]]
    print(json.dumps(rep, indent=1))

main()

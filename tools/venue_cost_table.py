#!/usr/bin/env python3
"""Prints the "What a venue costs" table of docs/adding-a-venue.md: lines (wc -l)
per file of each REST + WebSocket venue adapter, its emulator, tests and test data.
Run from the repository root: python3 tools/venue_cost_table.py"""
import os

VENUES = ["binance", "coinbase", "kraken", "bybit", "okx", "alpaca"]
NAMES = {"binance": "Binance", "coinbase": "Coinbase", "kraken": "Kraken",
         "bybit": "Bybit", "okx": "OKX", "alpaca": "Alpaca"}


def lines(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return sum(1 for _ in f)
    except FileNotFoundError:
        return None


def pair(v, stem):
    d = f"venue_adapters/{v}/"
    vals = [lines(d + stem + ext) for ext in (".h", ".cpp")]
    vals = [x for x in vals if x is not None]
    return sum(vals) if vals else None


def main():
    rows, totals = [], {v: {} for v in VENUES}
    def add(label, vals, bold=False):
        cells = [("—" if x is None else (f"**{x}**" if bold else str(x))) for x in vals]
        rows.append(f"| {label} | " + " | ".join(cells) + " |")
    adapter_parts = [("config", "`config.h/.cpp`"), ("auth", "`auth.h/.cpp`"),
                     ("parse", "`parse.h/.cpp`"), ("rest", "`rest.h/.cpp`"),
                     ("adapter", "`adapter.h/.cpp`")]
    code = {v: 0 for v in VENUES}
    for stem, label in adapter_parts:
        vals = [pair(v, stem) for v in VENUES]
        for v, x in zip(VENUES, vals):
            code[v] += x or 0
        add(label, vals)
    cm = [lines(f"venue_adapters/{v}/CMakeLists.txt") for v in VENUES]
    for v, x in zip(VENUES, cm):
        code[v] += x or 0
    add("`CMakeLists.txt`", cm)
    add("**adapter code**", [code[v] for v in VENUES], True)
    emu = [pair(v, "emulator") for v in VENUES]
    main_ = [lines(f"venue_adapters/{v}/emulator_main.cpp") for v in VENUES]
    add("`emulator.h/.cpp`", emu)
    add("`emulator_main.cpp`", main_)
    emut = [(a or 0) + (b or 0) for a, b in zip(emu, main_)]
    add("**emulator**", emut, True)
    tests = {v: 0 for v in VENUES}
    for f in ["auth_test.cpp", "parse_test.cpp", "adapter_test.cpp", "gateway_e2e_test.cpp",
              "sigkill_test.cpp", "market_data_test.cpp"]:
        vals = [lines(f"tests/{v}/{f}") for v in VENUES]
        if all(x is None for x in vals):
            continue
        for v, x in zip(VENUES, vals):
            tests[v] += x or 0
        add(f"`{f}`", vals)
    rest = []
    for v in VENUES:
        s = sum(lines(f"tests/{v}/{f}") or 0 for f in ["fuzz_parse.cpp", "test_data.h", "CMakeLists.txt"])
        tests[v] += s
        rest.append(s)
    add("`fuzz_parse.cpp`, `test_data.h`, `CMakeLists.txt`", rest)
    add("**tests**", [tests[v] for v in VENUES], True)
    td = []
    for v in VENUES:
        d = f"venue_adapters/{v}/test_data"
        files = sorted(os.listdir(d)) if os.path.isdir(d) else []
        td.append((sum(lines(os.path.join(d, f)) or 0 for f in files), len(files)))
    rows.append("| **test_data** | " + " | ".join(f"**{n}** ({k})" for n, k in td) + " |")
    add("**total code + tests + data**",
        [code[v] + emut[i] + tests[v] + td[i][0] for i, v in enumerate(VENUES)], True)
    add("`docs/<venue>.md`", [lines(f"docs/{v}.md") for v in VENUES])
    print("| file / part | " + " | ".join(NAMES[v] for v in VENUES) + " |")
    print("| --- |" + " ---: |" * len(VENUES))
    print("\n".join(rows))


if __name__ == "__main__":
    main()

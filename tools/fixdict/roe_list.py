#!/usr/bin/env python3
"""Prints the "accepted, not acted on" lists of docs/rules-of-engagement.md.

    roe_list.py tools/fixdict/FIX44.def
    roe_list.py tools/fixdict/FIX42.def

For each message the gateway accepts, the fields of the dictionary (in the
source's order, components by name) minus the ones fix_acceptor reads
(ACTED_ON below: keep it in step with fix_acceptor.cpp's convert functions).
"""
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fixdict  # noqa: E402

# Tags fix_acceptor.cpp turns into a Command, per MsgType (header: PossResend
# 97 on D). AF is not handled yet: everything on it is accepted, not acted on.
ACTED_ON = {
    "D": {11, 54, 40, 59, 38, 44, 99, 55, 1, 100},
    "F": {11, 41, 54, 55, 37},
    "G": {11, 41, 54, 40, 59, 38, 44, 99, 55, 1, 37},
    "H": {11, 54, 55, 37},
    "q": {11, 530, 55, 54},
    "AF": set(),
}


def main(src):
    version, _, sections, fields, _ = fixdict.parse(src)
    comps = {r.name: r for k, _, r in sections if k == "component"}
    msgs = {a["msgtype"]: r for k, a, r in sections if k == "message"}

    def label(name):
        return f"{fields[name][0]} {name}"

    def entries(node, acted, used_comps):
        out = []
        for ch in node.children:
            if ch.kind == "component":
                used_comps.append(ch.name)
                out.append(f"[{ch.name}]")
            elif ch.kind == "group":
                inner = entries(ch, acted, used_comps)
                out.append(f"{label(ch.name)} ({', '.join(inner)})")
            elif fields[ch.name][0] not in acted:
                out.append(label(ch.name))
        return out

    print(f"### FIX {version[0]}.{version[1]}\n")
    seen = []
    for mt in ("D", "F", "G", "H", "q", "AF"):
        if mt not in msgs:
            continue
        used = []
        items = entries(msgs[mt], ACTED_ON[mt], used)
        print(f"* **35={mt} {msgs[mt].name}**: " + ", ".join(items) + ".")
        for c in used:
            if c not in seen:
                seen.append(c)
    if seen:
        print("\nComponents: every field in them is accepted, not acted on, except")
        print("Instrument's Symbol (55), acted on in D, F, G, H and q, and OrderQtyData's")
        print("OrderQty (38), acted on in D and G.\n")
        i = 0
        while i < len(seen):
            c = seen[i]
            i += 1
            used = []
            items = entries(comps[c], ACTED_ON["D"] if c in ("Instrument", "OrderQtyData") else set(),
                            used)
            for u in used:
                if u not in seen:
                    seen.append(u)
            print(f"* **{c}**: " + ", ".join(items) + ".")
    print()


if __name__ == "__main__":
    main(sys.argv[1])

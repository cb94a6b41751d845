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

# Tags the acceptor turns into a Command, per MsgType (header: PossResend 97
# on D): the basic terms, and the standard fields of docs/order-fields.md.
_BASE_D = {11, 54, 40, 59, 38, 44, 99, 55, 1, 100}
_ORDER_FIELDS = {526, 583, 453, 109, 76, 18, 110, 111, 126, 432, 167, 200, 201, 202, 15, 207,
                 528, 47, 114, 77, 168, 847, 849, 957, 8847, 8849, 8957}
ACTED_ON = {
    "D": _BASE_D | _ORDER_FIELDS,
    "F": {11, 41, 54, 55, 37},
    "G": _BASE_D | {41, 37} | _ORDER_FIELDS,
    "H": {11, 54, 55, 37, 790},
    "q": {11, 530, 55, 54},
    "AF": {584, 585, 1, 55, 453, 109},
}
# Fields inside components that D/G act on (Instrument, Parties, OrderQtyData,
# StrategyParametersGrp), and the standard fields refused naming the tag
# (docs/order-fields.md, "Fields refused"): neither is "accepted, not acted on".
COMPONENT_ACTED = {55, 38, 167, 200, 201, 202, 207, 453, 448, 447, 452, 957, 958, 959, 960}
REFUSED = {152, 192, 210, 211, 835, 836, 837, 838, 840, 388, 389, 841, 842, 843, 844, 846, 848}


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
                if ch.name == "Parties" and 453 in acted:
                    continue  # acted on as a whole (docs/order-fields.md)
                used_comps.append(ch.name)
                out.append(f"[{ch.name}]")
            elif ch.kind == "group":
                if fields[ch.name][0] in acted:
                    continue
                inner = entries(ch, acted, used_comps)
                out.append(f"{label(ch.name)} ({', '.join(inner)})")
            elif fields[ch.name][0] not in acted and fields[ch.name][0] not in REFUSED:
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
        print("\nComponents: every field in them is accepted, not acted on, except the ones")
        print("docs/order-fields.md lists (Instrument's Symbol and contract terms, Parties,")
        print("OrderQtyData's OrderQty, StrategyParameters) and the refused ones.\n")
        i = 0
        while i < len(seen):
            c = seen[i]
            i += 1
            used = []
            items = entries(comps[c], COMPONENT_ACTED, used)
            for u in used:
                if u not in seen:
                    seen.append(u)
            if items:
                print(f"* **{c}**: " + ", ".join(items) + ".")
    print()


if __name__ == "__main__":
    main(sys.argv[1])

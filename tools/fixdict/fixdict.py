#!/usr/bin/env python3
"""Generates fixgw's QuickFIX data dictionaries from a compact source.

    fixdict.py SOURCE.def OUTPUT.xml      write the dictionary
    fixdict.py --check SOURCE.def SHIPPED.xml
                                          exit 1 if SHIPPED differs from what
                                          SOURCE generates (ctest fixdict_*)

Source format (one .def per FIX version, written for fixgw from the FIX
4.2 / 4.4 specifications):

    #! text             goes into the XML's opening comment
    # text              a comment, dropped
    FIX 4 4 0           BeginString major, minor, service pack
    HEADER | TRAILER    the standard header / trailer follows
    MESSAGE <MsgType> <Name> <admin|app>
    COMPONENT <Name>
    FIELDS              field definitions follow, one per line:
        <tag> <Name> <TYPE> [<enum>=<DESCRIPTION> ...]
        (an indented line continues the previous field's enums)

Inside a header, trailer, message or component, one entry per line, in the
standard's order, indented two spaces per nesting level:

    Name                a field        Name!   a required field
    @Name               a component    +NoXxx  a repeating group; its entries
                                               follow, indented one level more
                                               (the first is the delimiter)

Anything after " -- " on an entry is written as an XML comment before it
(used to mark fixgw's custom tags and gateway rules).

The generator checks what QuickFIX would only find at run time or never: an
unknown name, a tag defined twice, a group whose counter is not NUMINGROUP,
an empty group, a field defined but used nowhere.
"""
import os
import sys
from xml.sax.saxutils import quoteattr, escape


class DefError(Exception):
    pass


class Node:
    def __init__(self, kind, name, required=False, comment=None, line=0):
        self.kind, self.name, self.required, self.comment, self.line = (kind, name, required, comment,
                                                                         line)
        self.children = []


def parse(path):
    version = None
    intro = []
    sections = []  # (kind, attrs, root Node)
    fields = {}  # name -> (tag, type, [(enum, desc)], comment)
    field_order = []
    mode = None
    stack = None
    last_field = None
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    for no, raw in enumerate(lines, 1):
        where = f"{path}:{no}"
        if raw.startswith("#!"):
            intro.append(raw[2:].strip() if len(raw) > 2 else "")
            continue
        if raw.lstrip().startswith("#") or not raw.strip():
            continue
        line = raw.rstrip()
        comment = None
        if " -- " in line:
            line, comment = line.split(" -- ", 1)
            line = line.rstrip()
            comment = comment.strip()
        if not line.startswith(" "):
            words = line.split()
            head = words[0]
            if head == "FIX":
                version = words[1:4]
                mode = None
            elif head in ("HEADER", "TRAILER"):
                root = Node(head.lower(), head.lower(), line=no)
                sections.append((head.lower(), {}, root))
                mode, stack = "struct", [(-1, root)]
            elif head == "MESSAGE":
                if len(words) != 4 or words[3] not in ("admin", "app"):
                    raise DefError(f"{where}: expected MESSAGE <MsgType> <Name> <admin|app>")
                root = Node("message", words[2], comment=comment, line=no)
                sections.append(("message", {"msgtype": words[1], "msgcat": words[3]}, root))
                mode, stack = "struct", [(-1, root)]
            elif head == "COMPONENT":
                root = Node("component", words[1], line=no)
                sections.append(("component", {}, root))
                mode, stack = "struct", [(-1, root)]
            elif head == "FIELDS":
                mode = "fields"
            elif mode == "fields":
                if len(words) < 3:
                    raise DefError(f"{where}: expected <tag> <Name> <TYPE> [enum=DESC ...]")
                tag, name, typ = words[0], words[1], words[2]
                if not tag.isdigit():
                    raise DefError(f"{where}: tag '{tag}' is not a number")
                if name in fields:
                    raise DefError(f"{where}: field {name} defined twice")
                fields[name] = (int(tag), typ, [], comment)
                field_order.append(name)
                last_field = name
                add_enums(fields[name][2], words[3:], where)
            else:
                raise DefError(f"{where}: unexpected '{head}'")
            continue
        # indented
        if mode == "fields":
            if last_field is None:
                raise DefError(f"{where}: enum continuation before any field")
            add_enums(fields[last_field][2], line.split(), where)
            continue
        if mode != "struct":
            raise DefError(f"{where}: indented line outside a section")
        indent = len(line) - len(line.lstrip(" "))
        if indent % 2:
            raise DefError(f"{where}: indent by two spaces per level")
        level = indent // 2 - 1
        entry = line.strip()
        required = entry.endswith("!")
        entry = entry.rstrip("!")
        kind = "field"
        if entry.startswith("@"):
            kind, entry = "component", entry[1:]
        elif entry.startswith("+"):
            kind, entry = "group", entry[1:]
        while stack and stack[-1][0] >= level:
            stack.pop()
        parent = stack[-1][1]
        if stack[-1][0] != level - 1:
            raise DefError(f"{where}: indented too far")
        if parent.kind not in ("group", "header", "trailer", "message", "component"):
            raise DefError(f"{where}: only a group can hold indented entries")
        node = Node(kind, entry, required, comment, no)
        parent.children.append(node)
        stack.append((level, node))
    if version is None:
        raise DefError(f"{path}: no 'FIX <major> <minor> <sp>' line")
    return version, intro, sections, fields, field_order


def add_enums(out, words, where):
    for w in words:
        if "=" not in w:
            raise DefError(f"{where}: enum '{w}' is not <value>=<DESCRIPTION>")
        v, d = w.split("=", 1)
        if any(v == e for e, _ in out):
            raise DefError(f"{where}: enum value '{v}' listed twice")
        out.append((v, d))


def check(path, sections, fields):
    components = {r.name: r for k, _, r in sections if k == "component"}
    used = set()
    tags = {}
    for name, (tag, typ, _, _) in fields.items():
        if tag in tags:
            raise DefError(f"{path}: tag {tag} is both {tags[tag]} and {name}")
        tags[tag] = name

    def walk(node, seen):
        for ch in node.children:
            where = f"{path}:{ch.line}"
            if ch.kind == "component":
                if ch.name not in components:
                    raise DefError(f"{where}: unknown component {ch.name}")
                if ch.name in seen:
                    raise DefError(f"{where}: component {ch.name} contains itself")
                walk(components[ch.name], seen | {ch.name})
                continue
            if ch.name not in fields:
                raise DefError(f"{where}: unknown field {ch.name}")
            used.add(ch.name)
            if ch.kind == "group":
                # FIX 4.2 types its counters int; 4.3 on, NumInGroup.
                if fields[ch.name][1] not in ("NUMINGROUP", "INT"):
                    raise DefError(f"{where}: group counter {ch.name} is not NUMINGROUP or INT")
                if not ch.children:
                    raise DefError(f"{where}: group {ch.name} is empty")
                walk(ch, seen)
            elif ch.children:
                raise DefError(f"{where}: field {ch.name} has entries under it")

    for kind, _, root in sections:
        walk(root, {root.name} if kind == "component" else set())
    unused = [n for n in fields if n not in used]
    if unused:
        raise DefError(f"{path}: fields defined but used nowhere: {', '.join(unused)}")


def render(src, version, intro, sections, fields, field_order):
    name = os.path.basename(src)
    out = ['<?xml version="1.0" encoding="UTF-8"?>']
    out.append("<!--")
    out.append(f"  GENERATED by tools/fixdict/fixdict.py from tools/fixdict/{name}:")
    out.append("  edit the source and regenerate (ctest fixdict_check compares them).")
    if intro:
        out.append("")
        out.extend(("  " + l).rstrip() for l in intro)
    out.append("-->")
    out.append(f'<fix type="FIX" major="{version[0]}" minor="{version[1]}" servicepack="{version[2]}">')

    def xml_comment(text, ind):
        out.append(f"{ind}<!-- {escape(text).replace('--', '- -')} -->")

    def entries(node, depth):
        ind = "  " * depth
        for ch in node.children:
            if ch.comment:
                xml_comment(ch.comment, ind)
            req = "Y" if ch.required else "N"
            if ch.kind == "group":
                out.append(f'{ind}<group name="{ch.name}" required="{req}">')
                entries(ch, depth + 1)
                out.append(f"{ind}</group>")
            else:
                out.append(f'{ind}<{ch.kind} name="{ch.name}" required="{req}"/>')

    for want in ("header", "trailer"):
        for kind, _, root in sections:
            if kind == want:
                out.append(f"  <{want}>")
                entries(root, 2)
                out.append(f"  </{want}>")
    out.append("  <messages>")
    for kind, attrs, root in sections:
        if kind == "message":
            if root.comment:
                xml_comment(root.comment, "    ")
            out.append(f'    <message name="{root.name}" msgtype="{attrs["msgtype"]}" '
                       f'msgcat="{attrs["msgcat"]}">')
            entries(root, 3)
            out.append("    </message>")
    out.append("  </messages>")
    out.append("  <components>")
    for kind, _, root in sections:
        if kind == "component":
            out.append(f'    <component name="{root.name}">')
            entries(root, 3)
            out.append("    </component>")
    out.append("  </components>")
    out.append("  <fields>")
    for name in sorted(field_order, key=lambda n: fields[n][0]):
        tag, typ, enums, comment = fields[name]
        if comment:
            xml_comment(comment, "    ")
        if not enums:
            out.append(f'    <field number="{tag}" name="{name}" type="{typ}"/>')
            continue
        out.append(f'    <field number="{tag}" name="{name}" type="{typ}">')
        for v, d in enums:
            out.append(f"      <value enum={quoteattr(v)} description={quoteattr(d)}/>")
        out.append("    </field>")
    out.append("  </fields>")
    out.append("</fix>")
    return "\n".join(out) + "\n"


def generate(src):
    version, intro, sections, fields, order = parse(src)
    check(src, sections, fields)
    return render(src, version, intro, sections, fields, order)


def main(argv):
    try:
        if len(argv) == 4 and argv[1] == "--check":
            want = generate(argv[2])
            with open(argv[3], encoding="utf-8") as f:
                have = f.read()
            if have != want:
                print(f"{argv[3]} differs from what {argv[2]} generates; run "
                      f"tools/fixdict/fixdict.py {argv[2]} {argv[3]}", file=sys.stderr)
                return 1
            return 0
        if len(argv) == 3:
            text = generate(argv[1])
            with open(argv[2], "w", encoding="utf-8") as f:
                f.write(text)
            return 0
    except (DefError, OSError) as e:
        print(f"fixdict: {e}", file=sys.stderr)
        return 2
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))

#!/usr/bin/env python3
"""Unit tests of tools/fixdict/fixdict.py: a source mistake fails generation
with a message naming the line and the name, and a good source generates the
QuickFIX structure (header, groups, components, enumerations)."""
import os
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ET

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools",
                                "fixdict"))
import fixdict  # noqa: E402

GOOD = """#! test dictionary
FIX 4 4 0
HEADER
  BeginString!
TRAILER
  CheckSum!
MESSAGE D NewOrderSingle app
  ClOrdID!
  @Parties
  Side! -- a comment
COMPONENT Parties
  +NoPartyIDs
    PartyID
    PartyRole
FIELDS
8 BeginString STRING
10 CheckSum STRING
11 ClOrdID STRING
54 Side CHAR 1=BUY 2=SELL
  5=SELL_SHORT
448 PartyID STRING
452 PartyRole INT
453 NoPartyIDs NUMINGROUP
"""


class FixdictTest(unittest.TestCase):
    def generate(self, text):
        with tempfile.NamedTemporaryFile("w", suffix=".def", delete=False) as f:
            f.write(text)
        try:
            return fixdict.generate(f.name)
        finally:
            os.unlink(f.name)

    def fails(self, text, *words):
        with self.assertRaises(fixdict.DefError) as e:
            self.generate(text)
        for w in words:
            self.assertIn(w, str(e.exception))

    def test_good_source_generates_the_quickfix_structure(self):
        root = ET.fromstring(self.generate(GOOD))
        self.assertEqual((root.get("major"), root.get("minor")), ("4", "4"))
        msg = root.find("messages/message[@msgtype='D']")
        self.assertEqual([(c.tag, c.get("name"), c.get("required")) for c in msg],
                         [("field", "ClOrdID", "Y"), ("component", "Parties", "N"),
                          ("field", "Side", "Y")])
        group = root.find("components/component[@name='Parties']/group")
        self.assertEqual(group.get("name"), "NoPartyIDs")
        self.assertEqual([c.get("name") for c in group], ["PartyID", "PartyRole"])
        side = root.find("fields/field[@number='54']")
        self.assertEqual([v.get("enum") for v in side], ["1", "2", "5"])
        numbers = [int(f.get("number")) for f in root.find("fields")]
        self.assertEqual(numbers, sorted(numbers))

    def test_unknown_field_is_named_with_its_line(self):
        self.fails(GOOD.replace("  Side! -- a comment", "  Sied!"), "unknown field Sied", ":10")

    def test_unknown_component_is_named(self):
        self.fails(GOOD.replace("@Parties", "@Partys"), "unknown component Partys")

    def test_tag_defined_twice_is_named(self):
        self.fails(GOOD.replace("452 PartyRole INT", "448 PartyRole INT"), "tag 448")

    def test_group_counter_must_be_numingroup(self):
        self.fails(GOOD.replace("453 NoPartyIDs NUMINGROUP", "453 NoPartyIDs STRING"),
                   "NoPartyIDs is not NUMINGROUP")

    def test_unused_field_is_named(self):
        self.fails(GOOD + "1 Account STRING\n", "used nowhere: Account")

    def test_enum_without_description_is_named(self):
        self.fails(GOOD.replace("1=BUY", "1"), "enum '1'")

    def test_repeated_enum_value_is_named(self):
        self.fails(GOOD.replace("5=SELL_SHORT", "2=SELL_AGAIN"), "'2' listed twice")

    def test_check_mode_reports_a_stale_shipped_file(self):
        with tempfile.TemporaryDirectory() as d:
            src, xml = os.path.join(d, "T.def"), os.path.join(d, "T.xml")
            with open(src, "w") as f:
                f.write(GOOD)
            self.assertEqual(fixdict.main(["fixdict.py", src, xml]), 0)
            self.assertEqual(fixdict.main(["fixdict.py", "--check", src, xml]), 0)
            with open(xml, "a") as f:
                f.write("<!-- edited by hand -->\n")
            self.assertEqual(fixdict.main(["fixdict.py", "--check", src, xml]), 1)


if __name__ == "__main__":
    unittest.main()

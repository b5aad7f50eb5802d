#!/usr/bin/python3
"""Adds synthetic `id` and `phone` columns to the UCI Bank Marketing data set.

Reads bank-full.csv (UCI Bank Marketing, Moro, Cortez & Rita, CC BY 4.0; ';'-separated) and
writes examples/data/bank-full.csv with the same rows and columns, each line prefixed by

    id      "bank-00001" ... (1-based row index)
    phone   a synthetic, valid Portuguese number in E.164:
              contact=cellular   -> mobile      +3519[1236]XXXXXXX
              contact=telephone  -> geographic  +3512...  (mainland Portugal area codes)
              contact=unknown    -> one of the two, chosen from the row's hash

Everything is derived from the row index through SHA-256, so the output is the same on every run.
No two rows get the same number (a colliding candidate is re-hashed with a counter).
All other bytes of each line are copied unchanged.

The numbers are NOT real contacts, but they are valid numbers and may belong to real people:
never dial them through a real telephony provider; use the simulator.

Usage: /usr/bin/python3 make_bank_contacts.py [SOURCE_CSV [OUTPUT_CSV]]
Defaults: /work/shared/data/bank-marketing/bank-full.csv and bank-full.csv next to this script.
Standard library only.
"""

import csv
import hashlib
import os
import sys

DEFAULT_SOURCE = "/work/shared/data/bank-marketing/bank-full.csv"
DEFAULT_OUTPUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bank-full.csv")

# Mobile network prefixes (after +351): 91, 92, 93, 96, followed by 7 digits.
MOBILE_PREFIXES = ["91", "92", "93", "96"]

# Geographic area codes of mainland Portugal (after +351). Lisbon (21) and Porto (22) have
# 7-digit subscriber numbers, the three-digit codes 6-digit ones; every number has 9 digits.
# Each was checked to be valid for region PT with libphonenumber 8.12.
AREA_CODES = [
    "21",  # Lisboa
    "22",  # Porto
    "231", "232", "233", "234", "235", "236", "238", "239",  # Mealhada .. Coimbra
    "241", "242", "243", "244", "245", "249",  # Abrantes .. Torres Novas
    "251", "252", "253", "254", "255", "256", "258", "259",  # Valença .. Vila Real
    "261", "262", "263", "265", "266", "268", "269",  # Torres Vedras .. Santiago do Cacém
    "271", "272", "273", "274", "275", "276", "277", "278", "279",  # Guarda .. Moncorvo
    "281", "282", "283", "284", "285", "286", "289",  # Tavira .. Faro
]
# Lisbon and Porto hold most subscribers: weight them more.
AREA_WEIGHTS = {"21": 12, "22": 8}
WEIGHTED_AREA_CODES = [c for c in AREA_CODES for _ in range(AREA_WEIGHTS.get(c, 1))]

# Share of "unknown" contacts given a mobile number, in percent.
UNKNOWN_MOBILE_PERCENT = 70


def row_hash(index, attempt):
    """A 256-bit integer derived from the 1-based row index (and a collision counter)."""
    key = "bank-marketing/%d/%d" % (index, attempt)
    return int.from_bytes(hashlib.sha256(key.encode("ascii")).digest(), "big")


def candidate(index, attempt, contact):
    """The candidate E.164 number for a row, for the given collision-retry counter."""
    h = row_hash(index, attempt)
    if contact == "cellular":
        mobile = True
    elif contact == "telephone":
        mobile = False
    else:  # unknown: the choice depends only on the row index, not on the retry counter
        mobile = row_hash(index, 0) % 100 < UNKNOWN_MOBILE_PERCENT
    h >>= 8
    if mobile:
        prefix = MOBILE_PREFIXES[h % len(MOBILE_PREFIXES)]
    else:
        prefix = WEIGHTED_AREA_CODES[h % len(WEIGHTED_AREA_CODES)]
    h >>= 16
    digits = 9 - len(prefix)
    subscriber = h % (10 ** digits)
    return "+351" + prefix + str(subscriber).zfill(digits)


def main(argv):
    source = argv[1] if len(argv) > 1 else DEFAULT_SOURCE
    output = argv[2] if len(argv) > 2 else DEFAULT_OUTPUT

    with open(source, "r", encoding="utf-8", newline="") as f:
        lines = f.read().splitlines(keepends=True)
    if not lines:
        sys.exit("%s: empty file" % source)

    header = next(csv.reader([lines[0]], delimiter=";"))
    if "contact" not in header:
        sys.exit("%s: no 'contact' column in header" % source)
    contact_col = header.index("contact")
    quoted = lines[0].startswith('"')

    def cell(text):
        return '"%s"' % text if quoted else text

    out = [cell("id") + ";" + cell("phone") + ";" + lines[0]]
    used = set()
    for index, line in enumerate(lines[1:], start=1):
        fields = next(csv.reader([line], delimiter=";"))
        if len(fields) != len(header):
            sys.exit("%s:%d: expected %d fields, got %d" % (source, index + 1, len(header),
                                                             len(fields)))
        contact = fields[contact_col]
        attempt = 0
        phone = candidate(index, attempt, contact)
        while phone in used:
            attempt += 1
            phone = candidate(index, attempt, contact)
        used.add(phone)
        out.append(cell("bank-%05d" % index) + ";" + cell(phone) + ";" + line)

    with open(output, "w", encoding="utf-8", newline="") as f:
        f.writelines(out)
    print("%s: wrote %d rows (%d distinct numbers)" % (output, len(out) - 1, len(used)))


if __name__ == "__main__":
    main(sys.argv)

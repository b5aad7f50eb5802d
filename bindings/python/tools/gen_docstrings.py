#!/usr/bin/python3
"""Writes the docstring table of the _omnivox extension from the `///` and `///<` comments of the
public C++ headers, so that the Python documentation has one source: the headers.

    gen_docstrings.py OUT.inc HEADER...          (run by CMake at build time)
    gen_docstrings.py --list HEADER...           (prints python-path: doc, to review)

A comment documents the declaration it precedes (`///` lines right above it) or ends
(`///<` on its line): struct and class fields, methods, enum values, classes, free functions.
Python names are the C++ ones, except the renames below; enum values are upper snake case
(kNoAnswer -> NO_ANSWER). The module applies the table when it is imported
(src/docstrings.cc), combining it with a binding's own docstring where that says something
Python-specific.
"""

import re
import sys

# C++ class -> Python class, where the bindings rename.
CLASS_RENAMES = {
    "BenchScenario": "Scenario",
    "ImportError": "ImportRowError",
}

# C++ qualified member -> Python member name, where the bindings rename (a Python keyword,
# or a name that says more in Python).
MEMBER_RENAMES = {
    "OptimumResult.lambda": "lambda_",
    "CampaignFile.import": "import_options",
    "CallStateChange.from": "from_state",
    "CallStateChange.to": "to_state",
    "AgentStateChange.from": "from_state",
    "AgentStateChange.to": "to_state",
}

# Free functions bound under another name.
FUNCTION_RENAMES = {
    "make_progressive_policy": "progressive_policy",
    "make_power_policy": "power_policy",
    "make_preview_policy": "preview_policy",
    "make_predictive_policy": "predictive_policy",
    "make_policy_for": "policy_for",
    "make_threshold_policy": "threshold_policy",
    "make_tunable_power_policy": "tunable_power_policy",
    "make_expected_availability_policy": "expected_availability_policy",
    "make_vicidial_policy": "vicidial_policy",
    "make_pi_policy": "pi_policy",
    "make_open_loop_policy": "open_loop_policy",
    "make_oracle_policy": "oracle_policy",
    "make_memory_storage": "memory_storage",
    "make_sqlite_storage": "sqlite_storage",
    "make_system_clock": "system_clock",
}

ACCESS = re.compile(r"^(public|private|protected)\s*:$")
TYPE_OPEN = re.compile(
    r"^(?:template\s*<.*>\s*)?(struct|class|enum\s+class|enum|union)\s+(?:\[\[[^\]]*\]\]\s*)?"
    r"(\w+)\b[^;]*\{")
NAMESPACE = re.compile(r"^(?:inline\s+)?namespace\b[^{;]*\{")
SKIP_STATEMENT = re.compile(r"^(using|friend|static_assert|typedef|template\s*<[^>]*>\s*friend)\b")
CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def enum_value_name(cpp):
    name = cpp[1:] if re.match(r"^k[A-Z]", cpp) else cpp
    return CAMEL.sub("_", name).upper()


ERROR_CLASSES = {
    "kInvalidArgument": "InvalidArgumentError", "kConfig": "ConfigError",
    "kNotFound": "NotFoundError", "kIo": "IoError", "kStorage": "StorageError",
    "kState": "StateError",
}


def pythonize(doc):
    """C++ spellings in a comment as Python shows them: Error(kConfig) -> ConfigError,
    Class::member -> Class.member, kSale -> SALE, nullopt / nullptr -> None."""
    doc = re.sub(r"(?:omnivox::)?Error\((k\w+)(?:/k\w+)?\)",
                 lambda m: ERROR_CLASSES.get(m.group(1), "OmnivoxError"), doc)
    doc = re.sub(r"\bstd::(nullopt|nullptr)\b|\bnullopt\b|\bnullptr\b", "None", doc)
    doc = re.sub(r"\bomnivox::", "", doc)
    doc = re.sub(r"\b(?!std\b)(\w+)::(?=\w)", r"\1.", doc)
    return re.sub(r"\bk[A-Z][A-Za-z0-9]*\b", lambda m: enum_value_name(m.group(0)), doc)


def strip_literals(code):
    code = re.sub(r'"(?:\\.|[^"\\])*"', '""', code)
    return re.sub(r"'(?:\\.|[^'\\])'", "''", code)


def top_level_index(code, chars):
    """Index of the first of `chars` outside (), <> and [] in code, or -1."""
    depth = 0
    for i, ch in enumerate(code):
        if depth == 0 and ch in chars:
            return i
        if ch in "([<":
            depth += 1
        elif ch in ")]>":
            depth = max(depth - 1, 0)
    return -1


def join_doc(lines):
    """`///` lines to text: lines joined by spaces, an empty line kept as a paragraph break."""
    paragraphs, cur = [], []
    for line in lines:
        if line.strip():
            cur.append(line.strip())
        elif cur:
            paragraphs.append(" ".join(cur))
            cur = []
    if cur:
        paragraphs.append(" ".join(cur))
    return "\n\n".join(paragraphs)


class Parser:
    def __init__(self):
        self.docs = {}  # python path -> [docs]
        self.bases = {}  # python class path -> C++ base class names

    def inherit(self):
        """A member a class overrides without a comment of its own takes its base's."""
        def base_paths(cls, seen):
            for b in self.bases.get(cls, []):
                b = CLASS_RENAMES.get(b, b)
                if b not in seen:
                    seen.add(b)
                    yield b
                    yield from base_paths(b, seen)
        for cls in list(self.bases):
            for base in base_paths(cls, set()):
                prefix = base + "."
                for path, docs in list(self.docs.items()):
                    member = path[len(prefix):]
                    if path.startswith(prefix) and "." not in member:
                        self.docs.setdefault(f"{cls}.{member}", list(docs))

    def add(self, path, doc):
        doc = pythonize(doc.strip())
        if not doc:
            return
        docs = self.docs.setdefault(path, [])
        if doc not in docs:
            docs.append(doc)

    def parse(self, text):
        scopes = []  # (kind, name, depth inside the scope's braces)
        depth = 0
        pending = []  # `///` lines above the statement being read
        stmt, stmt_docs = "", []
        for raw in text.splitlines():
            line = raw.strip()
            if line.startswith("///") and not line.startswith("///<"):
                if not stmt:
                    pending.append(line[3:])
                continue
            if not line or line.startswith("//") or line.startswith("#"):
                if not stmt:
                    pending = []
                continue
            code, trailing = line, None
            if "///<" in line:
                code, trailing = line.split("///<", 1)
            code = strip_literals(code)
            code = re.sub(r"//.*$", "", code).strip()
            if not stmt:
                stmt_docs = pending
                pending = []
            if trailing is not None:
                stmt_docs = stmt_docs + [trailing]
            stmt = (stmt + " " + code).strip()
            scope = scopes[-1] if scopes else None
            in_enum = scope is not None and scope[0] == "enum" and depth == scope[2]
            if in_enum:
                # Enumerators: each item of the statement; a doc belongs to the last one.
                items = [i.strip() for i in stmt.replace("};", "").replace("}", "").split(",")]
                names = [re.match(r"^(\w+)", i).group(1) for i in items if re.match(r"^\w+", i)]
                done = stmt.endswith(",") or "}" in stmt
                if not done:
                    continue
                for i, name in enumerate(names):
                    if i == len(names) - 1:
                        self.add(f"{self.python_scope(scopes)}.{enum_value_name(name)}",
                                 join_doc(stmt_docs))
                if "}" in stmt:
                    scopes.pop()
                    depth -= 1
                stmt, stmt_docs = "", []
                continue
            if not (stmt.endswith((";", "{", "}", ":")) or ACCESS.match(stmt)):
                continue
            statement, docs = stmt, stmt_docs
            stmt, stmt_docs = "", []
            opens, closes = statement.count("{"), statement.count("}")
            self.declaration(statement, docs, scopes, depth)
            m = TYPE_OPEN.match(statement)
            if m and opens > closes:
                kind = "enum" if m.group(1).startswith("enum") else "class"
                heritage = statement[m.end(2):statement.index("{")]
                if kind == "class" and ":" in heritage:
                    self.bases[self.python_scope(scopes + [(kind, m.group(2), 0)])] = re.findall(
                        r"(?:public|protected|private)?\s*(?:\w+::)*(\w+)\s*(?:,|$)",
                        heritage.split(":", 1)[1].strip())
                # A one-line enum (`enum class E { kA, kB };`) opens and closes here.
                scopes.append((kind, m.group(2), depth + 1))
            elif NAMESPACE.match(statement) and opens > closes:
                scopes.append(("namespace", "", depth + 1))
            elif opens > closes:
                scopes.append(("body", "", depth + 1))
            depth += opens - closes
            while scopes and depth < scopes[-1][2]:
                scopes.pop()
            if m and m.group(1).startswith("enum") and opens == closes:
                body = statement[statement.index("{") + 1:statement.rindex("}")]
                path = self.python_scope(scopes + [("enum", m.group(2), 0)])
                for item in body.split(","):
                    if re.match(r"^\s*\w+", item):
                        self.add(f"{path}.{enum_value_name(item.split('=')[0].strip())}", "")

    def python_scope(self, scopes):
        names = [CLASS_RENAMES.get(n, n) for k, n, _ in scopes if k in ("class", "enum")]
        return ".".join(names)

    def declaration(self, statement, docs, scopes, depth):
        doc = join_doc(docs)
        if not doc or ACCESS.match(statement) or SKIP_STATEMENT.match(statement):
            return
        scope = scopes[-1] if scopes else ("namespace", "", 0)
        m = TYPE_OPEN.match(statement)
        if m:
            if scope[0] in ("namespace", "class") and depth == scope[2]:
                self.add(self.python_scope(scopes + [("class", m.group(2), 0)]), doc)
            return
        if depth != scope[2] or scope[0] not in ("namespace", "class"):
            return
        head = statement
        paren = top_level_index(head, "(")
        assign = top_level_index(head, "={;")
        if paren >= 0 and (assign < 0 or paren < assign):
            name_m = re.search(r"(~?\w+)\s*$", head[:paren])
            if not name_m or name_m.group(1).startswith("~") or "operator" in head[:paren]:
                return
            name = name_m.group(1)
            if scope[0] == "class" and name == scope[1]:
                return  # constructor: the bindings document their own __init__
            if scope[0] == "namespace":
                self.add(FUNCTION_RENAMES.get(name, name), doc)
                return
        else:
            if scope[0] != "class":
                return
            cut = assign if assign >= 0 else len(head)
            decl = re.sub(r"\[[^\]]*\]", "", head[:cut]).strip()
            name_m = re.search(r"(\w+)\s*$", decl)
            if not name_m:
                return
            name = name_m.group(1)
        cls = self.python_scope(scopes)
        cpp_cls = ".".join(n for k, n, _ in scopes if k in ("class", "enum"))
        name = MEMBER_RENAMES.get(f"{cpp_cls}.{name}", name)
        self.add(f"{cls}.{name}", doc)


def c_string(text):
    out = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return '"' + out + '"'


def main(argv):
    listing = argv[1:2] == ["--list"]
    args = argv[2:] if listing else argv[1:]
    if len(args) < 2 and not listing:
        print(__doc__, file=sys.stderr)
        return 2
    out_path, headers = (None, args) if listing else (args[0], args[1:])
    parser = Parser()
    for h in sorted(headers):
        with open(h, encoding="utf-8") as f:
            parser.parse(f.read())
    parser.inherit()
    entries = sorted((k, "\n\n".join(v)) for k, v in parser.docs.items() if v)
    if listing:
        for k, v in entries:
            print(f"{k}: {v}")
        return 0
    lines = ["// Generated by bindings/python/tools/gen_docstrings.py from the public headers' "
             "comments; do not edit.",
             "// {python path, doc}"]
    for k, v in entries:
        lines.append(f"{{{c_string(k)}, {c_string(v)}}},")
    text = "\n".join(lines) + "\n"
    try:
        with open(out_path, encoding="utf-8") as f:
            if f.read() == text:
                return 0  # unchanged: keep the timestamp, nothing recompiles
    except OSError:
        pass
    with open(out_path, "w", encoding="utf-8") as f:
        f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

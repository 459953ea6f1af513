"""The project's shape rules, checked in `make lint` so they stay true:

1. no Jinja program in task or variable YAML (roles/, playbooks/): no `{% for`, `namespace(`,
   `.append(` or `.update(` outside templates; decisions live in Python plugins, Jinja renders text;
2. no Python file under plugins/ or lab/ longer than 600 lines;
3. no block of six or more lines copied between files in plugins/, roles/ or playbooks/ (documentation
   strings and YAML comments excepted, lines compared with indentation and blank lines ignored);
4. no role or playbook reads another role's private variables (`__<role>_...`): a role's interface is its
   argument spec and its documented facts.

Usage: python3 tests/lint/code_shape.py [ROOT]; prints one line per violation, exits 1 when there is any.
"""
import ast
import os
import re
import sys

MAX_LINES = 600
BLOCK = 6
JINJA_PROGRAM = re.compile(r"\{%-?\s*for\b|namespace\(|\.append\(|\.update\(")
YAML_TREES = ("roles", "playbooks")
PYTHON_TREES = ("plugins", "lab")
COPY_TREES = ("plugins", "roles", "playbooks")
# Lines too common to make two blocks "the same code" on their own.
TRIVIAL = re.compile(r"^([\])}{(\[,:;]*|---|else:|try:|finally:|return|pass|\"\"\"|'''|#.*)$")


def _files(root, trees, suffixes, skip_dirs=()):
    for tree in trees:
        for folder, dirs, names in os.walk(os.path.join(root, tree)):
            dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in ("__pycache__",) + skip_dirs)
            for name in sorted(names):
                if name.endswith(suffixes):
                    yield os.path.join(folder, name)


def jinja_programs(root):
    found = []
    for path in _files(root, YAML_TREES, (".yml", ".yaml")):
        with open(path, encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                if not line.lstrip().startswith("#") and JINJA_PROGRAM.search(line):
                    found.append("%s:%d: Jinja program (move the logic into a Python plugin): %s" % (
                        os.path.relpath(path, root), number, line.strip()[:100]))
    return found


def long_files(root):
    found = []
    for path in _files(root, PYTHON_TREES, (".py",)):
        with open(path, encoding="utf-8") as handle:
            count = sum(1 for line in handle)
        if count > MAX_LINES:
            found.append("%s: %d lines (at most %d: split it by concern)" % (os.path.relpath(path, root), count, MAX_LINES))
    return found


def _docstring_lines(text):
    """Line numbers of module-level string constants (DOCUMENTATION, EXAMPLES, RETURN, docstrings)."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return set()
    skip = set()
    for node in ast.walk(tree):
        value = getattr(node, "value", None)
        if isinstance(node, (ast.Assign, ast.Expr)) and isinstance(value, ast.Constant) and isinstance(value.value, str):
            skip.update(range(node.lineno, getattr(node, "end_lineno", node.lineno) + 1))
    return skip


def _code_lines(path):
    """[(line number, normalised text)] of the lines that count for copy detection."""
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    skip = _docstring_lines(text) if path.endswith(".py") else set()
    lines = []
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if number in skip or not stripped or TRIVIAL.match(stripped):
            continue
        lines.append((number, stripped))
    return lines


def copied_blocks(root):
    seen = {}
    found = []
    reported = set()
    # Galaxy metadata (meta/) is the same boilerplate in every role by design.
    for path in _files(root, COPY_TREES, (".py", ".yml", ".yaml", ".j2"), skip_dirs=("meta",)):
        lines = _code_lines(path)
        for start in range(len(lines) - BLOCK + 1):
            window = tuple(text for number, text in lines[start:start + BLOCK])
            where = (os.path.relpath(path, root), lines[start][0])
            first = seen.setdefault(window, where)
            if first[0] != where[0] and (first[0], where[0]) not in reported:
                reported.add((first[0], where[0]))
                found.append("%s:%d and %s:%d: %d or more lines copied (share them instead)" % (
                    first[0], first[1], where[0], where[1], BLOCK))
    return found


def private_reads(root):
    roles = sorted(d for d in os.listdir(os.path.join(root, "roles"))) if os.path.isdir(os.path.join(root, "roles")) else []
    if not roles:
        return []
    private = re.compile(r"\b__(%s)_\w+" % "|".join(re.escape(r) for r in sorted(roles, key=len, reverse=True)))
    found = []
    for path in _files(root, YAML_TREES, (".yml", ".yaml", ".j2")):
        rel = os.path.relpath(path, root)
        parts = rel.split(os.sep)
        own = parts[1] if parts[0] == "roles" else None
        with open(path, encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                for match in private.finditer(line):
                    if match.group(1) != own:
                        found.append("%s:%d: reads %s, a private variable of role %s" % (
                            rel, number, match.group(0), match.group(1)))
    return found


def main(argv):
    root = os.path.abspath(argv[1] if len(argv) > 1 else os.path.join(os.path.dirname(__file__), "..", ".."))
    problems = jinja_programs(root) + long_files(root) + copied_blocks(root) + private_reads(root)
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

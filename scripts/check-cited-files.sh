#!/usr/bin/env bash
# Fails if a doc, a comment or a string (help text, messages) of a tracked file names a repository
# file that does not exist. Names checked:
#   - paths under a top-level folder of the repository (docs/..., scripts/..., Sources/..., ...),
#     also with a wildcard (CKernels/src/isa_*.c);
#   - bare file names ending in .md, .sh, .swift, .py or .c (design.md, ck_api.c). Bare .h names
#     are left out: most are system headers (omp.h); repository headers are cited with their path.
# A name exists if it is a tracked file or folder relative to the repository's top, to the citing
# file's folder or to one of its parents (a package inside Examples/), or, for a bare name, the
# name of any tracked file. Names that git ignores (build outputs, generated tables), names
# followed by a placeholder (<target>, {a,so}, $VAR) and URLs are outputs or elsewhere: not checked.
# Markdown files are read whole (bare names outside code blocks only); other files only in their
# comments and string literals.
set -euo pipefail
cd "$(dirname "$0")/.."
git ls-files -z | python3 -c '
import fnmatch, os, re, subprocess, sys

tracked = [p for p in sys.stdin.read().split("\0") if p]
paths = set(tracked)
for p in tracked:
    parts = p.split("/")
    paths.update("/".join(parts[:i]) for i in range(1, len(parts)))
basenames = {os.path.basename(p) for p in tracked}
tops = sorted({p.split("/")[0] for p in tracked if "/" in p}, key=len, reverse=True)
char = r"[\w.*-]"
rooted = re.compile(r"(?<![\w./:@-])((?:%s)/(?:%s|/)*)" % ("|".join(map(re.escape, tops)), char))
bare = re.compile(r"(?<![\w./:@<{$-])(%s+\.(?:md|sh|swift|py|c))(?![\w/<>{}$-])" % char)
string = re.compile(r"\"(?:[^\"\\\\]|\\\\.)*\"|\x27[^\x27]*\x27")

def prose(path, text):
    """The parts of a file meant for people, as (text, whether bare names count) per line: all of
    markdown, else comments and string literals."""
    if path.endswith(".md"):   # in code blocks, bare names are files of the reader (cc app.c)
        out, fenced = [], False
        for line in text.split("\n"):
            fenced ^= line.startswith("```")
            out.append((line, not fenced and not line.startswith("```")))
        return out
    hash_comments = path.endswith((".sh", ".py")) or os.path.basename(path) in ("Makefile", "run")
    out, in_block = [], False
    for line in text.split("\n"):
        kept = []
        if in_block:
            end = line.find("*/")
            kept.append(line if end < 0 else line[:end])
            in_block = end < 0
            line = "" if end < 0 else line[end + 2:]
        kept += [m.group(0) for m in string.finditer(line)]
        code = string.sub("", line)
        marker = "#" if hash_comments else "//"
        if marker in code:
            kept.append(code[code.index(marker):])
            code = code[:code.index(marker)]
        if not hash_comments and "/*" in code:
            start = code.index("/*")
            end = code.find("*/", start)
            kept.append(code[start:] if end < 0 else code[start:end])
            in_block = end < 0
        out.append((" ".join(kept), True))
    return out

def exists(name, citing_dir, is_bare):
    folder = "/" if name.endswith("/") else ""   # git ignores some names only as folders
    name = name.rstrip("/.")
    bases, d = [""], citing_dir
    while d:
        bases.append(d + "/")
        d = os.path.dirname(d)
    for base in bases:
        candidate = os.path.normpath(base + name)
        if fnmatch.filter(paths, candidate) if "*" in candidate else candidate in paths:
            return True
    if is_bare and (fnmatch.filter(basenames, name) if "*" in name else name in basenames):
        return True
    return any(subprocess.run(["git", "check-ignore", "-q", "--no-index", os.path.normpath(base + name) + folder]).returncode == 0
               for base in bases)

missing = []
for f in tracked:
    if not re.search(r"(\.(md|swift|c|h|sh|py)|(^|/)Makefile|^\.ci/run)$", f) or f == "scripts/check-cited-files.sh":
        continue
    for number, (line, check_bare) in enumerate(prose(f, open(f, encoding="utf-8").read()), 1):
        for pattern, is_bare in ((rooted, False), (bare, True))[:2 if check_bare else 1]:
            for m in pattern.finditer(line):
                if line[m.end(1):m.end(1) + 1] in ("<", "{", "$"):
                    continue
                if m.group(1).rstrip("/.") and not exists(m.group(1), os.path.dirname(f), is_bare):
                    missing.append("%s:%d: %s" % (f, number, m.group(1)))
if missing:
    print("FAIL: cited but not in the repository:")
    print("\n".join(missing))
    sys.exit(1)
print("every cited repository file exists")
'

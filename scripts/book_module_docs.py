#!/usr/bin/env python3
"""mdBook preprocessor: replaces `{{#module-docs DIR}}` in a chapter with the module doc (the `//!`
lines) of every `.rs` file of DIR, one section per file with a link to it, and `{{#module-docs
FILE.rs}}` with that file's module doc alone, so an op's math and VJP are written once, in its source
file, and read in the book. The doc's own headings move down a level (two under a file's section).

mdbook runs it as `python3 scripts/book_module_docs.py supports html` (answer: yes) and then with the
JSON `[context, book]` on stdin, expecting the book back on stdout. A directive naming a folder with
no documented file is an error: the build fails rather than print an empty chapter.
"""
import json
import os
import re
import sys

DIRECTIVE = re.compile(r"\{\{#module-docs\s+([^}\s]+)\s*\}\}")
# rustdoc's intra-doc links ([`crate::rng`]) have no target in the book: keep the code span only.
INTRA_DOC_LINK = re.compile(r"\[(`[^`]+`)\](?!\()")
# Files that hold no op: the module's glue and the gradient-check registry.
SKIP = {"mod.rs", "registry.rs"}


def module_doc(path):
    lines = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.startswith("//!"):
                break
            text = line[3:].rstrip("\n")
            lines.append(text[1:] if text.startswith(" ") else text)
    return "\n".join(lines).strip()


def demote(doc, levels):
    """`#` headings outside code fences, `levels` deeper."""
    out, fenced = [], False
    for line in doc.split("\n"):
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and line.startswith("#"):
            line = "#" * levels + line
        out.append(line)
    return "\n".join(out)


def render(root, folder, chapter_path):
    if folder.endswith(".rs"):
        doc = module_doc(os.path.join(root, folder))
        if not doc:
            raise SystemExit(f"book_module_docs: {folder} has no module doc (`//!` lines)")
        return demote(INTRA_DOC_LINK.sub(r"\1", doc), 1)
    directory = os.path.join(root, folder)
    # Links are written relative to the chapter's page, which sits where its source does.
    page_dir = os.path.dirname(os.path.join(root, "docs", chapter_path))
    sections = []
    for name in sorted(os.listdir(directory)):
        if not name.endswith(".rs") or name in SKIP:
            continue
        path = os.path.join(directory, name)
        doc = module_doc(path)
        if not doc:
            raise SystemExit(f"book_module_docs: {folder}/{name} has no module doc (`//!` lines)")
        doc = demote(INTRA_DOC_LINK.sub(r"\1", doc), 2)
        link = os.path.relpath(path, page_dir)
        title = name[: -len(".rs")]
        sections.append(f"## {title}\n\n[`{folder}/{name}`]({link})\n\n{doc}\n")
    if not sections:
        raise SystemExit(f"book_module_docs: {folder} has no .rs file with a module doc")
    return "\n".join(sections)


def walk(node, root):
    """Every chapter of the book, whatever the JSON's nesting (it changed across mdbook versions)."""
    if isinstance(node, dict):
        if isinstance(node.get("content"), str) and "name" in node:
            chapter_path = node.get("path") or ""
            node["content"] = DIRECTIVE.sub(
                lambda m: render(root, m.group(1), chapter_path), node["content"]
            )
        for value in node.values():
            walk(value, root)
    elif isinstance(node, list):
        for value in node:
            walk(value, root)


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "supports":
        sys.exit(0)
    context, book = json.load(sys.stdin)
    walk(book, context["root"])
    json.dump(book, sys.stdout)


if __name__ == "__main__":
    main()

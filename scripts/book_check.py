#!/usr/bin/env python3
"""Checks a built mdBook: every relative link and resource of every page resolves to a file or folder
(links out of the book land in the checkout: the docs link the sources), every `#anchor` names an id
of its page, no `{{#...}}` directive was left unexpanded, and no `$$` math was left unrendered.

    python3 scripts/book_check.py BUILD_DIR
    python3 scripts/book_check.py --dom FILE   # a page as a browser made it (chromium --dump-dom)
    python3 scripts/book_check.py --names MARKDOWN...

Prints one line per fault and exits 1 if there is any; otherwise prints what it checked. `--dom`
checks that the page holds KaTeX's output (`class="katex"`) and, outside code, no raw math
(`$$`, `\\(`, `\\[`). `--names` checks every ``[`path`](../path) · `f`, `g` `` of the chapters:
the file defines each name (`fn f` in Rust, `__global__ void f(` in CUDA; `A::f` is looked up as `f`).
"""
import html.parser
import os
import re
import sys
import urllib.parse

# Pages mdbook writes that are not chapters: the print page repeats every chapter with its links
# rewritten to in-page anchors (checked there as well), the 404 page is served from the site's root.
SKIP_PAGES = {"404.html"}


class Page(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids = set()
        self.refs = []
        self.text = []
        self._code = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "a" and "name" in attrs:
            self.ids.add(attrs["name"])
        for key in ("href", "src"):
            if attrs.get(key) is not None:
                self.refs.append((tag, attrs[key], self.getpos()[0]))
        if tag in ("code", "pre", "script", "style"):
            self._code += 1

    def handle_endtag(self, tag):
        if tag in ("code", "pre", "script", "style") and self._code:
            self._code -= 1

    def handle_data(self, data):
        if not self._code:
            self.text.append(data)


def parse(path):
    page = Page()
    with open(path, encoding="utf-8") as f:
        page.feed(f.read())
    return page


def dom(path):
    page = parse(path)
    text = "".join(page.text)
    with open(path, encoding="utf-8") as f:
        katex = f.read().count('class="katex"')
    faults = [f"{path}: raw math {m!r} in the text" for m in ("$$", "\\(", "\\[") if m in text]
    if katex == 0:
        faults.append(f'{path}: no KaTeX output (class="katex")')
    for fault in faults:
        print(fault)
    if faults:
        sys.exit(1)
    print(f"book_check: {path}: {katex} KaTeX formulas, no raw math")


# ``[`path`](../path) · `f`, `g` ``: a link to a source file, then the names it defines.
NAMED = re.compile(r"\]\(\.\./([^)#]+)\) · ((?:`[^`]+`(?:, | and )?)+)")


def names(docs):
    faults, checked = [], 0
    for doc in docs:
        with open(doc, encoding="utf-8") as f:
            text = f.read()
        for m in NAMED.finditer(text):
            path = m.group(1)
            if not os.path.isfile(path):
                faults.append(f"{doc}: {path} does not exist")
                continue
            with open(path, encoding="utf-8") as f:
                source = f.read()
            for name in re.findall(r"`([^`]+)`", m.group(2)):
                name = name.split("::")[-1]
                cuda = path.endswith(".cu")
                pattern = f"__global__ void {name}(" if cuda else f"fn {name}"
                checked += 1
                if not re.search(re.escape(pattern) + ("" if cuda else r"\b"), source):
                    faults.append(f"{doc}: {path} has no `{pattern}`")
    for fault in faults:
        print(fault)
    if faults:
        sys.exit(1)
    print(f"book_check: {checked} functions named in {len(docs)} chapters, each defined where named")


def main():
    if sys.argv[1] == "--names":
        return names(sys.argv[2:])
    if sys.argv[1] == "--dom":
        return dom(sys.argv[2])
    build = sys.argv[1]
    pages = {}
    for folder, _, files in os.walk(build):
        for name in files:
            if name.endswith(".html") and name not in SKIP_PAGES:
                path = os.path.normpath(os.path.join(folder, name))
                pages[path] = parse(path)
    if not pages:
        sys.exit(f"book_check: no page in {build}")
    faults, links = [], 0
    for path, page in sorted(pages.items()):
        where = os.path.relpath(path, build)
        text = "".join(page.text)
        if "{{#" in text:
            faults.append(f"{where}: an unexpanded directive: ...{text[text.index('{{#'):][:60]}")
        if "$$" in text:
            faults.append(f"{where}: unrendered math: ...{text[text.index('$$'):][:60]}")
        for tag, ref, line in page.refs:
            url = urllib.parse.urlsplit(ref)
            if url.scheme or ref.startswith("//"):
                continue
            links += 1
            target = path
            if url.path:
                target = os.path.normpath(
                    os.path.join(os.path.dirname(path), urllib.parse.unquote(url.path))
                )
            if not os.path.exists(target):
                faults.append(f"{where}:{line}: <{tag}> {ref}: {os.path.relpath(target, build)} does not exist")
                continue
            if url.fragment and target.endswith(".html"):
                ids = pages[target].ids if target in pages else parse(target).ids
                if urllib.parse.unquote(url.fragment) not in ids:
                    faults.append(f"{where}:{line}: <{tag}> {ref}: no id {url.fragment!r} in {os.path.relpath(target, build)}")
    for fault in faults:
        print(fault)
    if faults:
        sys.exit(1)
    print(f"book_check: {len(pages)} pages, {links} relative links and resources, every one resolves")


if __name__ == "__main__":
    main()

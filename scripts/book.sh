#!/usr/bin/env bash
# The book (book.toml; its chapters are docs/*.md, the table of contents docs/SUMMARY.md).
#   scripts/book.sh            install the tools once, build into book/, check it, open it in a browser
#   scripts/book.sh build      the same without the browser
#   scripts/book.sh selftest   the checks must fail on a broken link, a missing include, a bad equation
# Once: mdbook and mdbook-katex, pinned, built by cargo into .cache/mdbook (minutes); KaTeX's
# stylesheet and fonts (Debian's libjs-katex, the version mdbook-katex renders) and, for the browser
# test, Debian's chromium, both by apt-get where this runs as root. After that it works offline.
# The build fails on any warning of mdbook or its preprocessors (a missing include, an equation KaTeX
# cannot parse), then scripts/book_check.py fails on a relative link or anchor that does not resolve.
# The browser test opens three chapters in headless Chromium, checks the page it made holds KaTeX's
# output and no raw math, and leaves its screenshots in book/screenshots/.
set -euo pipefail
cd "$(dirname "$0")/.."
mdbook_version=0.5.3
katex_version=0.10.0
tools=.cache/mdbook
katex_dist=${KATEX_DIST:-/usr/share/javascript/katex}
chapters=(elbo math-to-code evaluation)

apt_install() {
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
        return 1
    fi
    echo "book.sh: apt-get install $*" >&2
    apt-get install -y -qq --no-install-recommends "$@" >&2 ||
        { apt-get update -qq >&2 && apt-get install -y -qq --no-install-recommends "$@" >&2; }
}

install() {
    local want="mdbook $mdbook_version, mdbook-katex $katex_version"
    if [ ! -x "$tools/bin/mdbook" ] || [ ! -x "$tools/bin/mdbook-katex" ] ||
        [ "$(cat "$tools/.version" 2>/dev/null)" != "$want" ]; then
        rm -rf "$tools"
        local start=$SECONDS
        echo "book.sh: cargo install $want into $tools (once; minutes)" >&2
        cargo install --locked --quiet --root "$tools" \
            "mdbook@$mdbook_version" "mdbook-katex@$katex_version" >&2
        echo "$want" >"$tools/.version"
        echo "book.sh: installed in $((SECONDS - start)) s" >&2
    fi
    if [ ! -e "$katex_dist/katex.min.css" ]; then
        apt_install libjs-katex || {
            echo "book.sh: KaTeX's stylesheet is missing: apt-get install libjs-katex as root," \
                "or set KATEX_DIST to a folder holding katex.min.css and fonts/ (KaTeX 0.16.4)" >&2
            exit 1
        }
    fi
    export PATH="$PWD/$tools/bin:$PATH"
}

# Builds the book at $1 into $2, failing on any warning or error that mdbook or a preprocessor logs
# (mdbook-katex only warns when KaTeX rejects an equation, and leaves it raw), then checks $2.
build_book() {
    local root=$1 out=$2 log
    [[ $out = /* ]] || out=$PWD/$out
    log=$(mktemp)
    rm -rf "$out"
    if ! NO_COLOR=1 RUST_LOG=warn mdbook build --dest-dir "$out" "$root" >"$log" 2>&1; then
        cat "$log" >&2
        echo "book.sh: mdbook build $root failed" >&2
        rm -f "$log"
        return 1
    fi
    if grep -E 'WARN|ERROR|[Ff]ailed' "$log" >&2; then
        echo "book.sh: mdbook build $root logged the warnings above" >&2
        rm -f "$log"
        return 1
    fi
    rm -f "$log"
    # The repository's book links KaTeX's stylesheet from its theme/head.hbs.
    if [ -d "$root/theme" ]; then
        mkdir -p "$out/katex"
        cp "$katex_dist/katex.min.css" "$out/katex/"
        cp -r "$katex_dist/fonts" "$out/katex/"
    fi
    python3 scripts/book_check.py "$out" >&2
}

build() {
    local start=$SECONDS
    python3 scripts/book_check.py --names docs/*.md >&2
    build_book . book
    echo "book.sh: book/ built and checked in $((SECONDS - start)) s: open book/index.html" >&2
}

browser() {
    if ! command -v chromium >/dev/null && ! apt_install chromium; then
        echo "book.sh: SKIPPED the browser test: no chromium, and apt-get cannot install it here (not root or not Debian)"
        return 0
    fi
    mkdir -p book/screenshots
    local chapter page
    for chapter in "${chapters[@]}"; do
        page="file://$PWD/book/$chapter.html"
        # --no-sandbox: Chromium's sandbox refuses to run as root, as CI does.
        timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
            --dump-dom "$page" >"book/screenshots/$chapter.dom.html" 2>/dev/null
        python3 scripts/book_check.py --dom "book/screenshots/$chapter.dom.html" >&2
        timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
            --hide-scrollbars --window-size=1200,1500 \
            --screenshot="$PWD/book/screenshots/$chapter.png" "$page" 2>/dev/null
        [ -s "book/screenshots/$chapter.png" ] || {
            echo "book.sh: chromium wrote no screenshot of $chapter" >&2
            exit 1
        }
    done
    echo "book.sh: ${#chapters[@]} chapters rendered by chromium; screenshots in book/screenshots/" >&2
}

# Each fault must fail the build or the check: a tiny book with one fault each, then without.
selftest() {
    local dir case
    dir=$(mktemp -d)
    for case in broken-link missing-include bad-equation bad-anchor good; do
        mkdir -p "$dir/$case/src"
        cat >"$dir/$case/book.toml" <<'EOF'
[book]
title = "selftest"
[build]
create-missing = false
[preprocessor.katex]
after = ["links"]
throw-on-error = true
no-css = true
EOF
        printf '# Summary\n\n- [One](one.md)\n- [Two](two.md)\n' >"$dir/$case/src/SUMMARY.md"
        printf '# Two\n\n## A heading\n' >"$dir/$case/src/two.md"
        local body='$$\frac{a}{b}$$ and [two](two.md#a-heading)'
        case $case in
            broken-link) body="$body and [gone](gone.md)" ;;
            missing-include) body="$body {{#include gone.md}}" ;;
            bad-equation) body="$body"' $$\frac{a}{$$' ;;
            bad-anchor) body="$body and [two](two.md#no-such-heading)" ;;
        esac
        printf '# One\n\n%s\n' "$body" >"$dir/$case/src/one.md"
        if build_book "$dir/$case" "$dir/$case/out" 2>"$dir/$case.log"; then
            [ "$case" = good ] || { echo "book.sh selftest: $case was not caught" >&2; exit 1; }
        else
            [ "$case" != good ] || { echo "book.sh selftest: the good book failed" >&2; exit 1; }
        fi
    done
    # The browser test's check of a page: raw math or no KaTeX output fails it.
    printf '<p><span class="katex">x</span> and $$\\frac{a}{$$</p>' >"$dir/raw.html"
    printf '<p>no math at all</p>' >"$dir/none.html"
    printf '<p><span class="katex">x</span> and <code>$$ in code</code></p>' >"$dir/ok.html"
    if python3 scripts/book_check.py --dom "$dir/raw.html" >/dev/null ||
        python3 scripts/book_check.py --dom "$dir/none.html" >/dev/null ||
        ! python3 scripts/book_check.py --dom "$dir/ok.html" >/dev/null; then
        echo "book.sh selftest: the page check let raw math or a page without KaTeX through" >&2
        exit 1
    fi
    for case in "$dir"/*.log; do
        echo "book.sh selftest: $(basename "$case" .log): $(tail -n 1 "$case")" >&2
    done
    rm -rf "$dir"
    echo "book.sh selftest: a broken link, a missing include, a bad equation and a bad anchor each fail; the good book passes; raw math in a page fails the browser check" >&2
}

install
case "${1:-all}" in
    build) build ;;
    selftest) selftest ;;
    all) build && browser ;;
    *) echo "usage: scripts/book.sh [build|selftest]" >&2; exit 2 ;;
esac

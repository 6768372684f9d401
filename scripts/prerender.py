#!/usr/bin/env python3
"""Prerenders a built site: a snapshot of every page the start page links to, directly or not.

The app renders in the browser from wasm (about 0.8 MB gzip for the page), so on a slow phone link a
first visit saw a blank page for seconds. This script serves a built `dist/` folder, opens every page
in headless Chromium with `?prerender` (the app renders as a first visit sees it before its worker
answers, and starts no worker), and writes the resulting HTML next to the page: `/` into `index.html`,
`/labs/fill-mask` into `labs/fill-mask.html`, which static hosts serve for the extensionless address.
Snapshots are taken from `404.html`, the plain page, so running the script again gives the same files.
The snapshot shows the page's text and follows its links at once; the app replaces it when it starts
(see `crates/app/src/app.rs`). `404.html` stays the plain page, for addresses with no snapshot.

A snapshot answers only its own address without a query: elsewhere (a host that answers every path
with `index.html`, or `?step=3`) a one-line script hides it, and the page waits for the app as before.

    scripts/prerender.py DIST [PUBLIC_URL]     # PUBLIC_URL as given to `trunk build`, default /
"""
import base64
import concurrent.futures
import hashlib
import functools
import html
import http.server
import os
import re
import shutil
import subprocess
import sys
import threading
import urllib.parse

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# Snapshots of documents, never of files such as `models/index.json` that pages link to.
PAGE_PATH = re.compile(r"^[A-Za-z0-9/_-]*$")


class Site(http.server.SimpleHTTPRequestHandler):
    """dist/ under the public URL, with the plain page (`404.html`, the build's copy of
    `index.html`) for any path that is not a file, so a second run starts from it too."""

    def __init__(self, *args, prefix, **kwargs):
        self.prefix = prefix
        super().__init__(*args, **kwargs)

    def translate_path(self, path):
        path = urllib.parse.urlsplit(path).path
        relative = path[len(self.prefix):] if path.startswith(self.prefix) else ""
        local = super().translate_path("/" + relative)
        return local if os.path.isfile(local) else super().translate_path("/404.html")

    def end_headers(self):
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, *args):
        pass


def snapshot(url):
    """The page's DOM once the app has rendered, or None when it never marked itself rendered."""
    for budget in (10_000, 30_000):
        result = subprocess.run(
            [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
             f"--virtual-time-budget={budget}", "--dump-dom", url],
            capture_output=True, text=True, timeout=120)
        if re.search(r"<body[^>]*\sdata-prerendered", result.stdout):
            return result.stdout
    return None


def links(page, prefix):
    """App paths under `prefix` that `page` links to, without query or fragment."""
    found = set()
    for href in re.findall(r'<a\b[^>]*\shref="([^"]+)"', page):
        path = urllib.parse.urlsplit(html.unescape(href)).path
        if path.startswith(prefix) and PAGE_PATH.match(path):
            found.add(path.rstrip("/") or "/")
    return found


def with_guard(page, path):
    """The snapshot, themed as the visitor chose, plus a script that hides it at any other address
    (see the module docs)."""
    # `bertlabSnapshotShown` settles once the browser has timed the snapshot's largest paint (or at
    # once where it cannot: another address, no such timing): the app waits for it before replacing
    # the snapshot, which a fast connection would otherwise do before the paint was even recorded.
    guard = ("<script>(function () { var root = document.documentElement;"
             " try { var theme = JSON.parse(localStorage.getItem('bertlab.theme'));"
             " if (theme) root.dataset.theme = theme; } catch (e) {}"
             " var here = (location.pathname.replace(/\\/+$/, '') || '/') === "
             f"{path!r} && !location.search;"
             " if (!here) root.dataset.snapshotElsewhere = '';"
             " window.bertlabSnapshotShown = new Promise(function (shown) {"
             " var timed = here && window.PerformanceObserver && PerformanceObserver.supportedEntryTypes"
             " && PerformanceObserver.supportedEntryTypes.indexOf('largest-contentful-paint') >= 0;"
             " if (!timed) return shown();"
             " new PerformanceObserver(function () { shown(); })"
             ".observe({ type: 'largest-contentful-paint', buffered: true });"
             " setTimeout(shown, 1000); }); })();</script>")
    # Trunk preloads the page's wasm (0.8 MB gzip) from the head, where on a slow link it shares the
    # bandwidth with the style sheet the snapshot needs for its first paint. With a snapshot to show,
    # the wasm can start a moment later, when the page's module script asks for it.
    page = re.sub(r'<link rel="preload"[^>]*type="application/wasm"[^>]*>', "", page)
    # The theme the snapshot happened to get; without it the style sheet follows the system's.
    page = re.sub(r'(<html[^>]*?)\s+data-theme="[^"]*"', r"\1", page, count=1)
    page = re.sub(r"(<head[^>]*>\s*(?:<meta charset[^>]*>)?)", lambda m: m.group(1) + guard, page, count=1)
    # The page's Content-Security-Policy allows no inline script but this one, named by its hash.
    body = guard[len("<script>"):-len("</script>")]
    digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
    page, allowed = re.subn(r"script-src 'self'", f"script-src 'self' 'sha256-{digest}'", page, count=1)
    if not allowed:
        sys.exit("prerender: the page has no Content-Security-Policy with script-src 'self'")
    return page if page.lstrip().lower().startswith("<!doctype") else "<!DOCTYPE html>\n" + page


def output_file(dist, prefix, path):
    relative = path[len(prefix):].strip("/")
    return os.path.join(dist, relative + ".html" if relative else "index.html")


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    dist = sys.argv[1]
    prefix = "/" + (sys.argv[2] if len(sys.argv) > 2 else "/").strip("/")
    prefix = prefix.rstrip("/") + "/"
    if CHROMIUM is None:
        sys.exit("prerender: Chromium is missing (make browser-deps installs it)")
    if not os.path.isfile(os.path.join(dist, "404.html")):
        sys.exit(f"prerender: {dist}/404.html is missing: build the site first (Trunk.toml's hook writes it)")

    handler = functools.partial(Site, directory=dist, prefix=prefix)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    origin = f"http://127.0.0.1:{server.server_address[1]}"

    # Breadth-first over the links, two Chromiums at a time (one per core here); files are written
    # at the end, so every snapshot is taken from the plain page.
    pages, frontier, seen = {}, [prefix.rstrip("/") or "/"], set()
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        while frontier:
            seen.update(frontier)
            taken = pool.map(lambda p: (p, snapshot(f"{origin}{p}?prerender")), frontier)
            frontier = []
            for path, page in taken:
                if page is None:
                    server.shutdown()
                    sys.exit(f"prerender: {path} did not render in headless Chromium")
                # A snapshot shows what a first visit sees before the worker answers: never an error.
                alert = re.search(r'role="alert"[^>]*>(.*?)<', page)
                if alert:
                    server.shutdown()
                    sys.exit(f"prerender: {path} shows an error in its snapshot: {alert.group(1)}")
                pages[path] = page
                frontier.extend(sorted(links(page, prefix) - seen - set(frontier)))
    server.shutdown()

    for path, page in pages.items():
        target = output_file(dist, prefix, path)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "w", encoding="utf-8") as out:
            out.write(with_guard(page, path))
    print(f"prerendered {len(pages)} pages into {dist}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Trunk's post-build step (Trunk.toml's hook), on the staged site in $TRUNK_STAGING_DIR:

1. Trunk starts the app with an inline module script. The page's Content-Security-Policy
   (index.html) allows scripts from the site only, so that script moves to a file of its own,
   named by its content's hash like Trunk's other files.
2. Static hosts without a single-page-app fallback answer an unknown path (a shared lesson link)
   with `404.html`: a copy of the page boots the app there and the router shows the lesson. Its
   `<base href>` is absolute, so it works at any depth.
"""
import hashlib
import os
import re
import shutil
import sys


def main():
    staging = os.environ.get("TRUNK_STAGING_DIR")
    if not staging:
        sys.exit("post_build: TRUNK_STAGING_DIR is not set (run by Trunk's post_build hook)")
    index = os.path.join(staging, "index.html")
    with open(index, encoding="utf-8") as f:
        page = f.read()
    inline = list(re.finditer(r'<script type="module">(.*?)</script>', page, re.S))
    if len(inline) != 1:
        sys.exit(f"post_build: expected Trunk's one inline start-up script, found {len(inline)}")
    body = inline[0].group(1)
    # The script imports the app's module from the public URL: the new file goes beside it.
    app = re.search(r"from '([^']*/)bertlab-app-[0-9a-f]+\.js'", body)
    if app is None:
        sys.exit("post_build: the start-up script does not import bertlab-app")
    name = f"bertlab-start-{hashlib.sha256(body.encode()).hexdigest()[:16]}.js"
    with open(os.path.join(staging, name), "w", encoding="utf-8") as f:
        f.write(body)
    tag = f'<script type="module" src="{app.group(1)}{name}"></script>'
    page = page[: inline[0].start()] + tag + page[inline[0].end():]
    with open(index, "w", encoding="utf-8") as f:
        f.write(page)
    shutil.copyfile(index, os.path.join(staging, "404.html"))


if __name__ == "__main__":
    main()

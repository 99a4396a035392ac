"""The file-system floor of a build: write the files a build wrote, and nothing else.

Usage: python benchmarks/writefloor.py BUILT_FOLDER NEW_FOLDER

Walks a folder `mediafeed build` made and writes the same files with the same bytes into
a new folder (media hard-linked, as the build links them). What is left of a full build's
time after this floor and bare feedgen's feed is what rendering costs.
"""

from __future__ import annotations

import os
import sys


def main(built: str, target: str) -> None:
    for folder, _subfolders, files in os.walk(built):
        relative = os.path.relpath(folder, built)
        out = os.path.normpath(os.path.join(target, relative))
        os.makedirs(out, exist_ok=True)
        for name in files:
            source = os.path.join(folder, name)
            if relative.split(os.sep)[0] == "media":
                os.link(source, os.path.join(out, name))
                continue
            with open(source, "rb") as handle:
                data = handle.read()
            with open(os.path.join(out, name), "wb") as handle:
                handle.write(data)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

#!/usr/bin/env python3
"""Unpacks an OCI archive as a runtime would: the index's manifest, its layers applied in order
(whiteouts honoured), into a folder; prints the image's config as JSON.

    python3 image/unpack_oci.py ARCHIVE ROOTFS
"""

import io
import json
import os
import shutil
import sys
import tarfile


def blob(archive, digest):
    return archive.extractfile("blobs/sha256/" + digest.split(":", 1)[1]).read()


def apply_layer(data, root):
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as layer:
        for member in layer.getmembers():
            name = os.path.normpath(member.name)
            if name.startswith("..") or os.path.isabs(name):
                sys.exit(f"error: layer entry {member.name} leaves the file system")
            base = os.path.basename(name)
            if base.startswith(".wh."):
                target = os.path.join(root, os.path.dirname(name), base[4:])
                if os.path.isdir(target) and not os.path.islink(target):
                    shutil.rmtree(target)
                elif os.path.lexists(target):
                    os.remove(target)
                continue
            try:
                # As the image says, owners and modes included (Python 3.12 asks for the filter by name).
                layer.extract(member, root, set_attrs=True, numeric_owner=True, filter="fully_trusted")
            except TypeError:
                layer.extract(member, root, set_attrs=True, numeric_owner=True)


def main():
    archive_path, root = sys.argv[1:3]
    os.makedirs(root, exist_ok=True)
    with tarfile.open(archive_path) as archive:
        index = json.loads(archive.extractfile("index.json").read())
        manifest = json.loads(blob(archive, index["manifests"][0]["digest"]))
        config = json.loads(blob(archive, manifest["config"]["digest"]))
        for layer in manifest["layers"]:
            apply_layer(blob(archive, layer["digest"]), root)
    print(json.dumps({"manifest": index["manifests"][0]["digest"], "config": config}))


if __name__ == "__main__":
    main()

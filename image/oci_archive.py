#!/usr/bin/env python3
"""Writes an OCI image layout, in a tar, from root file system folders: one layer per folder.

    python3 image/oci_archive.py --out FILE --arch amd64 --epoch SECONDS --label KEY=VALUE ... \
        --user 65532:65532 --entrypoint /usr/local/bin/card-app --port 8080 LAYER_DIR ...

Reproducible: every file's time is the epoch (the commit's time), owners are numeric and taken
from --owner PATH=UID:GID (root otherwise), entries are sorted, and gzip writes no name or time,
so two runs on the same inputs give the same bytes and the same digests.
"""

import argparse
import datetime
import gzip
import hashlib
import io
import json
import os
import stat
import sys
import tarfile


def layer_tar(root, epoch, owners):
    """The folder as an uncompressed tar, deterministic."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        paths = []
        for directory, folders, files in os.walk(root):
            folders.sort()
            for name in sorted(folders + files):
                paths.append(os.path.join(directory, name))
        for path in sorted(paths, key=lambda p: os.path.relpath(p, root)):
            relative = os.path.relpath(path, root)
            info = archive.gettarinfo(path, arcname=relative)
            info.mtime = epoch
            info.uid, info.gid = owners.get("/" + relative, (0, 0))
            info.uname = info.gname = ""
            info.pax_headers = {}
            if info.isfile():
                with open(path, "rb") as handle:
                    archive.addfile(info, handle)
            else:
                archive.addfile(info)
    return buffer.getvalue()


def gzip_bytes(data):
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=9, mtime=0, filename="") as handle:
        handle.write(data)
    return out.getvalue()


def digest(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--arch", required=True, help="OCI architecture: amd64 or arm64")
    parser.add_argument("--epoch", type=int, required=True)
    parser.add_argument("--label", action="append", default=[])
    parser.add_argument("--owner", action="append", default=[], help="PATH=UID:GID for a path in the image")
    parser.add_argument("--user", required=True)
    parser.add_argument("--entrypoint", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("layers", nargs="+")
    args = parser.parse_args()

    owners = {}
    for entry in args.owner:
        path, ids = entry.split("=", 1)
        uid, gid = ids.split(":")
        owners[path] = (int(uid), int(gid))

    blobs = {}
    layers, diff_ids = [], []
    for root in args.layers:
        plain = layer_tar(root, args.epoch, owners)
        compressed = gzip_bytes(plain)
        blobs[digest(compressed)] = compressed
        diff_ids.append(digest(plain))
        layers.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                       "digest": digest(compressed), "size": len(compressed)})

    created = datetime.datetime.fromtimestamp(args.epoch, datetime.timezone.utc)
    labels = dict(label.split("=", 1) for label in args.label)
    config = {
        "created": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "architecture": args.arch,
        "os": "linux",
        "config": {
            "User": args.user,
            "Entrypoint": [args.entrypoint],
            "ExposedPorts": {f"{args.port}/tcp": {}},
            "WorkingDir": "/",
            "Labels": labels,
        },
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created": created.strftime("%Y-%m-%dT%H:%M:%SZ"), "created_by": "scripts/image"}
                    for _ in layers],
    }
    config_bytes = json.dumps(config, sort_keys=True, separators=(",", ":")).encode()
    blobs[digest(config_bytes)] = config_bytes
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": digest(config_bytes), "size": len(config_bytes)},
        "layers": layers,
        "annotations": {key: value for key, value in labels.items() if key.startswith("org.opencontainers.image.")},
    }
    manifest_bytes = json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode()
    blobs[digest(manifest_bytes)] = manifest_bytes
    index = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": digest(manifest_bytes), "size": len(manifest_bytes),
            "platform": {"architecture": args.arch, "os": "linux"},
            "annotations": {"org.opencontainers.image.ref.name": labels.get("org.opencontainers.image.version", "latest")},
        }],
    }
    files = {"oci-layout": json.dumps({"imageLayoutVersion": "1.0.0"}).encode(),
             "index.json": json.dumps(index, sort_keys=True, separators=(",", ":")).encode()}
    for name, data in blobs.items():
        files["blobs/sha256/" + name.split(":", 1)[1]] = data

    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with tarfile.open(args.out, "w", format=tarfile.PAX_FORMAT) as archive:
        for directory in ("blobs", "blobs/sha256"):
            info = tarfile.TarInfo(directory)
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, args.epoch
            archive.addfile(info)
        for name in sorted(files):
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(files[name]), 0o644, args.epoch
            archive.addfile(info, io.BytesIO(files[name]))
    print(json.dumps({"manifest": digest(manifest_bytes), "config": digest(config_bytes),
                      "layers": [{"digest": layer["digest"], "size": layer["size"]} for layer in layers]}))


if __name__ == "__main__":
    sys.exit(main())

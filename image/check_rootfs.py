#!/usr/bin/env python3
"""Checks an unpacked card-app image: no shell, no package manager, nothing setuid, nothing
writable by others but /tmp, nothing owned by anyone but root except the user's home, and a
config that runs the binary as the non-root user. Prints `ok:` lines, or `FAIL:` and exits 1.

    python3 image/check_rootfs.py ROOTFS CONFIG_JSON
"""

import json
import os
import stat
import sys

SHELLS = {"sh", "bash", "dash", "ash", "zsh", "ksh", "busybox", "toybox", "csh", "tcsh"}
PACKAGE_MANAGERS = {"apt", "apt-get", "dpkg", "dpkg-deb", "rpm", "yum", "dnf", "apk", "pip", "pip3"}
USER = (65532, 65532)
USER_OWNS = {"/home/nonroot"}


def main():
    root, config_text = sys.argv[1:3]
    config = json.loads(config_text)["config"]["config"]
    problems = []
    files = 0
    for directory, folders, names in os.walk(root):
        for name in folders + names:
            path = os.path.join(directory, name)
            inside = "/" + os.path.relpath(path, root)
            info = os.lstat(path)
            files += 1
            if name in SHELLS or name in PACKAGE_MANAGERS:
                problems.append(f"{inside}: a shell or package manager")
            if info.st_mode & (stat.S_ISUID | stat.S_ISGID) and not stat.S_ISDIR(info.st_mode):
                problems.append(f"{inside}: setuid or setgid")
            if info.st_mode & stat.S_IWOTH and not stat.S_ISLNK(info.st_mode) and inside != "/tmp":
                problems.append(f"{inside}: writable by anyone")
            owner = (info.st_uid, info.st_gid)
            if inside in USER_OWNS:
                if owner != USER:
                    problems.append(f"{inside}: owned by {owner}, not the user {USER}")
            elif owner != (0, 0):
                problems.append(f"{inside}: owned by {owner}; only the user's home is not root's")
    entrypoint = config.get("Entrypoint") or []
    binary = os.path.join(root, entrypoint[0].lstrip("/")) if entrypoint else ""
    if config.get("User") != "65532:65532":
        problems.append(f"the image runs as {config.get('User')!r}, not 65532:65532")
    if len(entrypoint) != 1 or not os.access(binary, os.X_OK):
        problems.append(f"the entrypoint {entrypoint} is not the binary alone")
    if "8080/tcp" not in config.get("ExposedPorts", {}):
        problems.append("port 8080 is not exposed")
    labels = config.get("Labels", {})
    for label in ("org.opencontainers.image.version", "org.opencontainers.image.revision", "org.opencontainers.image.source"):
        if not labels.get(label):
            problems.append(f"no label {label}")
    with open(os.path.join(root, "etc/passwd")) as handle:
        if "nonroot:x:65532:65532:" not in handle.read():
            problems.append("/etc/passwd has no nonroot user 65532")
    for path in ("etc/ssl/certs/ca-certificates.crt", "usr/share/zoneinfo/UTC", "usr/share/card-app/packages"):
        if not os.path.exists(os.path.join(root, path)):
            problems.append(f"/{path} is missing")
    for problem in problems:
        print(f"FAIL: image file system: {problem}")
    if problems:
        return 1
    print(f"ok: image file system: {files} entries; no shell, no package manager, nothing setuid, "
          "nothing writable by others but /tmp, all root's but the user's home; runs /usr/local/bin/card-app as 65532")
    return 0


if __name__ == "__main__":
    sys.exit(main())

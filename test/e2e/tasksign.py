#!/usr/bin/env python3
"""Signs an Oasis task the way the server does, for the e2e tests, with
code that shares nothing with the C++ implementation: the signed bytes are
built here from the layout in include/oasis/signing.h, and the Ed25519
signature is made by the openssl command.

    tasksign.py SECRET_KEY_FILE < task.json > signed.json

SECRET_KEY_FILE is a task-signing.key as `oasis system init` writes it
(base64 of libsodium's 64-byte secret key: the seed, then the public key).
The task is a JSON object as on the wire; "sig" is added (or replaced).
"""
import base64
import json
import os
import struct
import subprocess
import sys
import tempfile

# PKCS#8 DER for an Ed25519 private key, up to the 32-byte seed.
PKCS8_ED25519_PREFIX = bytes.fromhex("302e020100300506032b657004220420")


def text(value):
    data = value.encode("utf-8")
    return struct.pack(">I", len(data)) + data


def signed_bytes(task):
    out = b"oasis-task-v1"
    for field in ("task_id", "kind", "batch_id", "agent_id"):
        out += text(task[field])
    out += struct.pack(">qqq", task["created_at_ms"], task["start_by_ms"],
                       task.get("timeout_sec", 60))
    argv = task.get("argv", [])
    out += struct.pack(">I", len(argv))
    for arg in argv:
        out += text(arg)
    return out


def main(argv):
    if len(argv) != 2:
        raise SystemExit(__doc__)
    with open(argv[1]) as f:
        seed = base64.b64decode(f.read().strip(), validate=True)[:32]
    task = json.load(sys.stdin)
    der = PKCS8_ED25519_PREFIX + seed
    # openssl signs Ed25519 in one shot, from a file (not a pipe).
    with tempfile.NamedTemporaryFile("w", dir=os.getcwd(), suffix=".pem") as pem, \
            tempfile.NamedTemporaryFile("wb", dir=os.getcwd(), suffix=".bin") as data:
        pem.write("-----BEGIN PRIVATE KEY-----\n%s\n-----END PRIVATE KEY-----\n"
                  % base64.b64encode(der).decode())
        pem.flush()
        data.write(signed_bytes(task))
        data.flush()
        sig = subprocess.run(["openssl", "pkeyutl", "-sign", "-rawin", "-inkey", pem.name,
                              "-in", data.name], capture_output=True, check=True).stdout
    task["sig"] = base64.b64encode(sig).decode()
    json.dump(task, sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

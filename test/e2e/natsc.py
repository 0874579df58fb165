#!/usr/bin/env python3
"""A tiny NATS client for the e2e tests, speaking the text protocol over a
raw socket, so tests can send what the oasis CLI never would.

    natsc.py URL request SUBJECT PAYLOAD_FILE [TIMEOUT_SEC]
        prints the reply's payload; exit 3 if nobody answers in time,
        exit 4 on "no responders"
    natsc.py URL publish SUBJECT PAYLOAD_FILE
    natsc.py URL next SUBJECT [TIMEOUT_SEC]
        prints the payload of the first message on SUBJECT
    natsc.py URL watch SUBJECT
        prints "# subscribed" once subscribed, then the payload of every
        message on SUBJECT, one a line, until killed
    natsc.py URL requests LIST_FILE [TIMEOUT_SEC]
        LIST_FILE has one "SUBJECT<tab>PAYLOAD_FILE" a line; sends each as
        a request in turn and prints each reply on its own line ("-" when
        nobody answered), so many requests cost one process start

PAYLOAD_FILE may be "-" for standard input. URL is nats://127.0.0.1:PORT.
"""
import os
import socket
import sys
import time


class Nats:
    def __init__(self, url):
        host, port = url.split("://", 1)[1].rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)), timeout=10)
        self.buf = b""
        info = self._line()
        if not info.startswith(b"INFO"):
            raise SystemExit("natsc: expected INFO, got %r" % info[:80])
        connect = b'{"verbose":false,"pedantic":false,"headers":true,' \
                  b'"no_responders":true,"name":"oasis-e2e-natsc"}'
        self.sock.sendall(b"CONNECT " + connect + b"\r\nPING\r\n")
        self._until_pong()

    def _fill(self, deadline):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        self.sock.settimeout(remaining)
        try:
            data = self.sock.recv(1 << 16)
        except socket.timeout:
            raise TimeoutError
        if not data:
            raise SystemExit("natsc: connection closed by the server")
        self.buf += data

    def _line(self, deadline=None):
        deadline = deadline or time.monotonic() + 10
        while b"\r\n" not in self.buf:
            self._fill(deadline)
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _bytes(self, n, deadline):
        while len(self.buf) < n + 2:
            self._fill(deadline)
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def _until_pong(self):
        while True:
            line = self._line()
            if line == b"PONG":
                return
            if line.startswith(b"-ERR"):
                raise SystemExit("natsc: " + line.decode(errors="replace"))

    def pub(self, subject, payload, reply=""):
        head = "PUB %s %s%d\r\n" % (subject, reply + " " if reply else "", len(payload))
        self.sock.sendall(head.encode() + payload + b"\r\n")

    def sub(self, subject, sid):
        self.sock.sendall(("SUB %s %d\r\n" % (subject, sid)).encode())

    def next_msg(self, timeout):
        """Returns (status, payload): status is the header status ("503"
        for no responders) or "" for a plain message."""
        deadline = time.monotonic() + timeout
        while True:
            line = self._line(deadline)
            if line == b"PING":
                self.sock.sendall(b"PONG\r\n")
                continue
            if line.startswith(b"-ERR"):
                raise SystemExit("natsc: " + line.decode(errors="replace"))
            parts = line.split()
            if parts and parts[0] == b"MSG":
                return "", self._bytes(int(parts[-1]), deadline)
            if parts and parts[0] == b"HMSG":
                header_len, total = int(parts[-2]), int(parts[-1])
                data = self._bytes(total, deadline)
                status = data[:header_len].split(b"\r\n", 1)[0].split()
                code = status[1].decode() if len(status) > 1 else ""
                return code, data[header_len:]

    def flush(self):
        self.sock.sendall(b"PING\r\n")
        self._until_pong()


def read_payload(path):
    if path == "-":
        return sys.stdin.buffer.read()
    with open(path, "rb") as f:
        return f.read()


def main(argv):
    if len(argv) < 4:
        raise SystemExit(__doc__)
    url, verb, subject = argv[1], argv[2], argv[3]
    nc = Nats(url)
    try:
        if verb == "request":
            timeout = float(argv[5]) if len(argv) > 5 else 5
            inbox = "_INBOX.e2e%d" % os.getpid()
            nc.sub(inbox, 1)
            nc.pub(subject, read_payload(argv[4]), inbox)
            status, payload = nc.next_msg(timeout)
            if status == "503":
                print("natsc: no responders on " + subject, file=sys.stderr)
                return 4
            sys.stdout.buffer.write(payload + b"\n")
        elif verb == "requests":
            timeout = float(argv[4]) if len(argv) > 4 else 5
            with open(argv[3]) as f:
                cases = [line.rstrip("\n").split("\t") for line in f if line.strip()]
            inbox = "_INBOX.e2e%d" % os.getpid()
            nc.sub(inbox + ".*", 1)
            for n, (subj, path) in enumerate(cases):
                nc.pub(subj, read_payload(path), "%s.%d" % (inbox, n))
                try:
                    status, payload = nc.next_msg(timeout)
                except TimeoutError:
                    status, payload = "", b"-"
                if status == "503":
                    payload = b"-"
                sys.stdout.buffer.write(payload.replace(b"\n", b" ") + b"\n")
        elif verb == "publish":
            nc.pub(subject, read_payload(argv[4]))
            nc.flush()
        elif verb == "watch":
            nc.sub(subject, 1)
            nc.flush()
            print("# subscribed", flush=True)
            while True:
                try:
                    _, payload = nc.next_msg(60)
                except TimeoutError:
                    continue
                sys.stdout.buffer.write(payload.replace(b"\n", b" ") + b"\n")
                sys.stdout.flush()
        elif verb == "next":
            timeout = float(argv[4]) if len(argv) > 4 else 5
            nc.sub(subject, 1)
            nc.flush()
            _, payload = nc.next_msg(timeout)
            sys.stdout.buffer.write(payload + b"\n")
        else:
            raise SystemExit(__doc__)
    except TimeoutError:
        print("natsc: nothing arrived on time for " + subject, file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

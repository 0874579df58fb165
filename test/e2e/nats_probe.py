#!/usr/bin/env python3
"""Asks a TLS nats-server what one certificate may do, for the e2e tests
of the generated NATS permissions. Speaks the text protocol over Python's
ssl, so a test can try what no Oasis role would ever send.

    nats_probe.py PORT CA_PEM [CERT_PEM KEY_PEM] < OPS

Prints "connected" or "refused: <why>" first. Then, for each line of OPS:
    pub SUBJECT [PAYLOAD]        -> "pub SUBJECT allowed|denied"
    pubr SUBJECT REPLY           -> "pubr SUBJECT allowed|denied" (with a reply)
    sub SUBJECT                  -> "sub SUBJECT allowed|denied"
    req SUBJECT INBOX [PAYLOAD]  -> "req SUBJECT denied" when the publish
        or the inbox subscription is refused, else "req SUBJECT reply
        <status> <first 200 bytes>" or "req SUBJECT no reply"
A refusal is the server's "Permissions Violation" error, which it sends
before answering the PING that follows every operation.
"""
import socket
import ssl
import sys
import time


class Probe:
    def __init__(self, port, ca, cert=None, key=None):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        info = b""
        while not info.endswith(b"\n"):
            chunk = s.recv(1)
            if not chunk:
                raise OSError("closed before INFO")
            info += chunk
        ctx = ssl.create_default_context(cafile=ca)
        if cert:
            ctx.load_cert_chain(cert, key)
        self.sock = ctx.wrap_socket(s, server_hostname="127.0.0.1")
        self.buf = b""
        self.sid = 0
        self.early = []  # messages that arrived while waiting for a PONG
        self.sock.sendall(b'CONNECT {"verbose":false,"pedantic":false,"headers":true,'
                          b'"no_responders":true,"name":"oasis-e2e-probe"}\r\n')
        errors = self.ping()
        if errors:
            raise OSError(errors[0])

    def _line(self, deadline):
        while b"\r\n" not in self.buf:
            self.sock.settimeout(max(deadline - time.monotonic(), 0.01))
            try:
                data = self.sock.recv(1 << 16)
            except socket.timeout:
                raise TimeoutError
            if not data:
                raise OSError("connection closed by the server")
            self.buf += data
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _payload(self, n, deadline):
        while len(self.buf) < n + 2:
            self.sock.settimeout(max(deadline - time.monotonic(), 0.01))
            data = self.sock.recv(1 << 16)
            if not data:
                raise OSError("connection closed by the server")
            self.buf += data
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def ping(self, timeout=5):
        """Sends PING; returns the -ERR lines seen before PONG."""
        self.sock.sendall(b"PING\r\n")
        return self.read_until_pong(time.monotonic() + timeout)

    def read_until_pong(self, deadline):
        errors = []
        while True:
            line = self._line(deadline)
            if line == b"PONG":
                return errors
            if line == b"PING":
                self.sock.sendall(b"PONG\r\n")
            elif line.startswith(b"-ERR"):
                errors.append(line.decode(errors="replace"))
            elif line.startswith(b"MSG") or line.startswith(b"HMSG"):
                self.early.append(self._message(line, deadline))

    def _message(self, line, deadline):
        parts = line.split()
        if parts[0] == b"HMSG":
            header_len, total = int(parts[-2]), int(parts[-1])
            data = self._payload(total, deadline)
            status = data[:header_len].split(b"\r\n", 1)[0].split()
            return (status[1].decode() if len(status) > 1 else "200"), data[header_len:]
        return "200", self._payload(int(parts[-1]), deadline)

    def next_message(self, timeout):
        if self.early:
            return self.early.pop(0)
        deadline = time.monotonic() + timeout
        while True:
            line = self._line(deadline)
            if line == b"PING":
                self.sock.sendall(b"PONG\r\n")
            elif line.startswith(b"MSG") or line.startswith(b"HMSG"):
                return self._message(line, deadline)

    def pub(self, subject, payload=b"", reply=""):
        head = "PUB %s %s%d\r\n" % (subject, reply + " " if reply else "", len(payload))
        self.sock.sendall(head.encode() + payload + b"\r\n")
        errors = self.ping()
        return not any("Permissions Violation" in e for e in errors)

    def sub(self, subject):
        self.sid += 1
        self.sock.sendall(("SUB %s %d\r\n" % (subject, self.sid)).encode())
        errors = self.ping()
        return not any("Permissions Violation" in e for e in errors)


def main(argv):
    if len(argv) not in (3, 5):
        raise SystemExit(__doc__)
    try:
        p = Probe(int(argv[1]), argv[2], *(argv[3:5] if len(argv) == 5 else []))
    except (ssl.SSLError, OSError, TimeoutError) as e:
        print("refused:", e or type(e).__name__)
        return 0
    print("connected")
    inboxes = set()
    for raw in sys.stdin:
        words = raw.split(None, 3 if raw.startswith("req") else 2)
        words = [w.rstrip("\n") for w in words]
        if not words:
            continue
        verb, subject = words[0], words[1]
        word = lambda i: words[i].rstrip("\n").encode() if len(words) > i else b""
        if verb == "pub":
            print("pub", subject, "allowed" if p.pub(subject, word(2)) else "denied")
        elif verb == "pubr":
            print("pubr", subject, "allowed" if p.pub(subject, b"", words[2].strip()) else "denied")
        elif verb == "sub":
            print("sub", subject, "allowed" if p.sub(subject) else "denied")
        elif verb == "req":
            inbox = words[2]
            if inbox not in inboxes and p.sub(inbox):
                inboxes.add(inbox)
            if inbox not in inboxes or not p.pub(subject, word(3), inbox):
                print("req", subject, "denied")
                continue
            try:
                status, data = p.next_message(3)
                print("req", subject, "reply", status, data[:200].decode(errors="replace"))
            except TimeoutError:
                print("req", subject, "no reply")
        else:
            raise SystemExit("nats_probe: unknown operation " + verb)
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

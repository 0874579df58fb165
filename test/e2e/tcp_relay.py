#!/usr/bin/env python3
"""A TCP relay on loopback for the e2e tests: a client connected through it
can be cut off from NATS (kill the relay) and let back (start it again on
the same port) while every other client stays connected.

    tcp_relay.py LISTEN_PORT TARGET_PORT
        prints "# listening" once it accepts connections, then relays each
        to 127.0.0.1:TARGET_PORT until killed
"""
import socket
import sys
import threading


def pipe(src, dst):
    try:
        while True:
            data = src.recv(1 << 16)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    for sock in (src, dst):
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def main():
    listen_port, target_port = int(sys.argv[1]), int(sys.argv[2])
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", listen_port))
    server.listen(16)
    print("# listening", flush=True)
    while True:
        client, _ = server.accept()
        try:
            upstream = socket.create_connection(("127.0.0.1", target_port))
        except OSError:
            client.close()
            continue
        for a, b in ((client, upstream), (upstream, client)):
            threading.Thread(target=pipe, args=(a, b), daemon=True).start()


main()

#!/usr/bin/env python3
"""A tiny DNS server for the network tests: answers A queries for the names
given (NAME=IPV4 ...) and NXDOMAIN for any other, on UDP ADDRESS:53.
Prints "ready" once bound; runs until killed. Standard library only."""
import socket
import struct
import sys


def parse_name(packet, offset):
    labels = []
    while True:
        length = packet[offset]
        if length == 0:
            return ".".join(labels).lower(), offset + 1
        if length & 0xC0:
            raise ValueError("compressed name in a question")
        labels.append(packet[offset + 1:offset + 1 + length].decode("ascii", "replace"))
        offset += 1 + length


def answer(packet, records):
    ident, flags, qdcount = struct.unpack("!HHH", packet[:6])
    if qdcount != 1:
        raise ValueError("one question expected")
    name, end = parse_name(packet, 12)
    qtype, qclass = struct.unpack("!HH", packet[end:end + 4])
    question = packet[12:end + 4]
    address = records.get(name)
    rd = flags & 0x0100
    if address is None:
        return struct.pack("!HHHHHH", ident, 0x8000 | rd | 0x0080 | 3, 1, 0, 0, 0) + question
    if qtype != 1:  # AAAA and others: no data, no error
        return struct.pack("!HHHHHH", ident, 0x8000 | rd | 0x0080, 1, 0, 0, 0) + question
    record = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + socket.inet_aton(address)
    return struct.pack("!HHHHHH", ident, 0x8000 | rd | 0x0080, 1, 1, 0, 0) + question + record


def main():
    address = sys.argv[1]
    records = dict(arg.lower().split("=", 1) for arg in sys.argv[2:])
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((address, 53))
    print("ready", flush=True)
    while True:
        packet, peer = sock.recvfrom(4096)
        try:
            sock.sendto(answer(packet, records), peer)
        except (ValueError, IndexError, struct.error):
            continue


if __name__ == "__main__":
    main()

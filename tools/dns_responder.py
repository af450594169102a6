#!/usr/bin/env python3
"""A small authoritative DNS responder for the lab (stdlib only): answers SRV
and A questions from a JSON zone file that a test may rewrite at any time
(re-read when its modification time changes), so a trunk's records can move
while sbcd runs. Names listed as `malformed` get a broken answer (right ID,
garbage after the header); names listed as `silent` get none. Any other name
without records is NXDOMAIN; a name with records of another type gets an
empty NOERROR answer (NODATA).

Zone file:
  {"ttl": 1,
   "srv": {"_sip._udp.sip.carrier.test": [[10, 0, 5060, "a.carrier.test"]]},
   "a": {"a.carrier.test": ["198.18.2.10"]},
   "malformed": ["bad.carrier.test"], "silent": ["silent.carrier.test"]}

  tools/dns_responder.py --zone FILE [--listen 198.18.2.20] [--port 53] [--lifetime 300]

Every question is logged on stdout as "QUERY TYPE NAME -> OUTCOME". The
responder exits by itself after --lifetime seconds (it is a test fixture:
bounded in time), or on SIGTERM.
"""

import argparse
import json
import os
import socket
import struct
import sys
import time

TYPE_A, TYPE_SRV = 1, 33
TYPE_NAMES = {TYPE_A: "A", TYPE_SRV: "SRV"}


def parse_question(packet):
    """(id, flags, qname, qtype, end of question) or None for a malformed query."""
    if len(packet) < 12:
        return None
    qid, flags, qdcount = struct.unpack("!HHH", packet[:6])
    if qdcount != 1:
        return None
    labels, i = [], 12
    while True:
        if i >= len(packet):
            return None
        n = packet[i]
        i += 1
        if n == 0:
            break
        if n & 0xC0 or i + n > len(packet):
            return None  # no compression in questions
        labels.append(packet[i:i + n].decode("ascii", "replace"))
        i += n
    if i + 4 > len(packet):
        return None
    qtype, _qclass = struct.unpack("!HH", packet[i:i + 4])
    return qid, flags, ".".join(labels).lower().rstrip("."), qtype, i + 4


def encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        raw = label.encode("ascii")
        out += bytes([len(raw)]) + raw
    return out + b"\0"


def record(name, rtype, ttl, rdata):
    return encode_name(name) + struct.pack("!HHIH", rtype, 1, ttl, len(rdata)) + rdata


def a_record(name, ttl, address):
    return record(name, TYPE_A, ttl, socket.inet_aton(address))


def srv_record(name, ttl, prio, weight, port, target):
    return record(name, TYPE_SRV, ttl, struct.pack("!HHH", prio, weight, port) + encode_name(target))


def matches(name, listed):
    return any(name == n or name.endswith("." + n) for n in listed)


def answer(zone, packet):
    """(reply bytes or None for no reply, outcome for the log)."""
    q = parse_question(packet)
    if q is None:
        return None, "unparsable query"
    qid, flags, name, qtype, qend = q
    if matches(name, zone.get("silent", [])):
        return None, "silent"
    if matches(name, zone.get("malformed", [])):
        # Claims one answer record, then holds bytes that are not one.
        header = struct.pack("!HHHHHH", qid, 0x8400 | (flags & 0x0100), 1, 1, 0, 0)
        return header + packet[12:qend] + b"\xc0\xff\x00\x21\xde\xad", "malformed"
    ttl = int(zone.get("ttl", 1))
    srv, a = zone.get("srv", {}), zone.get("a", {})
    answers, additional = [], []
    if qtype == TYPE_SRV and name in srv:
        for prio, weight, port, target in srv[name]:
            answers.append(srv_record(name, ttl, prio, weight, port, target))
            for addr in a.get(target.lower().rstrip("."), []):
                additional.append(a_record(target, ttl, addr))
    elif qtype == TYPE_A and name in a:
        answers = [a_record(name, ttl, addr) for addr in a[name]]
    exists = name in srv or name in a
    rcode = 0 if answers or exists else 3
    header = struct.pack("!HHHHHH", qid, 0x8400 | (flags & 0x0100) | rcode, 1, len(answers), 0,
                         len(additional))
    outcome = f"{len(answers)} answer(s)" if answers else ("nodata" if exists else "nxdomain")
    return header + packet[12:qend] + b"".join(answers) + b"".join(additional), outcome


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--zone", required=True)
    p.add_argument("--listen", default="127.0.0.1")
    p.add_argument("--port", type=int, default=53)
    p.add_argument("--lifetime", type=float, default=300.0)
    args = p.parse_args()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((args.listen, args.port))
    sock.settimeout(0.2)
    print(f"LISTENING {args.listen}:{args.port}", flush=True)
    zone, mtime = {}, None
    deadline = time.monotonic() + args.lifetime
    while time.monotonic() < deadline:
        try:
            st = os.stat(args.zone).st_mtime_ns
            if st != mtime:
                with open(args.zone) as f:
                    zone = json.load(f)
                mtime = st
        except (OSError, ValueError) as e:
            print(f"ZONE unreadable: {e}", flush=True)
        try:
            packet, peer = sock.recvfrom(4096)
        except socket.timeout:
            continue
        reply, outcome = answer(zone, packet)
        q = parse_question(packet)
        what = f"{TYPE_NAMES.get(q[3], q[3])} {q[2]}" if q else "?"
        print(f"QUERY {what} -> {outcome}", flush=True)
        if reply is not None:
            sock.sendto(reply, peer)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""A UDP endpoint for the dataplane integration test, run inside a lab host.
Every loop is bounded in count and time; prints one JSON line.

  udp_actor.py send   LOCAL_IP LOCAL_PORT DST_IP DST_PORT COUNT WAIT_S
      sends COUNT RTP-like packets, then collects replies for WAIT_S seconds
  udp_actor.py echo   LOCAL_IP LOCAL_PORT EXPECT WAIT_S
      receives up to EXPECT packets (WAIT_S seconds at most), answers each to its source
  udp_actor.py options LOCAL_IP DST_IP DST_PORT COUNT WAIT_S
      sends COUNT SIP OPTIONS (distinct transactions), counts every response
"""

import json
import socket
import sys
import time


def rtp(seq):
    return bytes([0x80, 0x00, seq >> 8 & 0xff, seq & 0xff]) + bytes(8) + b"\xd5" * 160


def collect(sock, until, limit):
    got = []
    while len(got) < limit and time.monotonic() < until:
        sock.settimeout(max(0.01, until - time.monotonic()))
        try:
            data, src = sock.recvfrom(4096)
        except socket.timeout:
            break
        got.append((data, src))
    return got


def main(argv):
    mode = argv[1]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    if mode == "send":
        lip, lport, dip, dport, count, wait = argv[2], int(argv[3]), argv[4], int(argv[5]), int(argv[6]), float(argv[7])
        s.bind((lip, lport))
        for i in range(count):
            s.sendto(rtp(i + 1), (dip, dport))
            time.sleep(0.02)
        got = collect(s, time.monotonic() + wait, 10000)
        print(json.dumps({"sent": count, "replies": len(got),
                          "sources": sorted({f"{a[0]}:{a[1]}" for _, a in got})}))
    elif mode == "echo":
        lip, lport, expect, wait = argv[2], int(argv[3]), int(argv[4]), float(argv[5])
        s.bind((lip, lport))
        got = collect(s, time.monotonic() + wait, expect)
        for data, src in got:
            s.sendto(data, src)
        print(json.dumps({"received": len(got),
                          "sources": sorted({f"{a[0]}:{a[1]}" for _, a in got})}))
    elif mode == "options":
        lip, dip, dport, count, wait = argv[2], argv[3], int(argv[4]), int(argv[5]), float(argv[6])
        s.bind((lip, 0))
        port = s.getsockname()[1]
        for i in range(count):
            msg = (f"OPTIONS sip:{dip}:{dport} SIP/2.0\r\n"
                   f"Via: SIP/2.0/UDP {lip}:{port};branch=z9hG4bK-dp-{i}-{time.time_ns()}\r\n"
                   f"Max-Forwards: 70\r\nFrom: <sip:probe@{lip}>;tag=t{i}\r\nTo: <sip:{dip}>\r\n"
                   f"Call-ID: dp-{i}-{time.time_ns()}@{lip}\r\nCSeq: 1 OPTIONS\r\n"
                   f"Content-Length: 0\r\n\r\n")
            s.sendto(msg.encode(), (dip, dport))
        got = collect(s, time.monotonic() + wait, 10000)
        status = [d.split(b"\r\n", 1)[0].decode(errors="replace") for d, _ in got]
        print(json.dumps({"sent": count, "responses": len(got), "status": status}))
    else:
        raise SystemExit("unknown mode " + mode)


if __name__ == "__main__":
    main(sys.argv)

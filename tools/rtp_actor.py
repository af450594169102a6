"""A small SIP user agent and RTP actor for proving calls end to end.

One Python process plays both ends of a call: each UserAgent's sockets are
created inside a network namespace (setns on the creating thread only), so a
caller in the lab's phone network and a callee in a carrier network are two
objects in the same script, and every step is under the test's control.
Without a namespace (ns=None) the sockets are ordinary ones on this host:
that is how tools/acceptance drives a real deployment from a test host.

What it speaks is deliberately small: SIP over UDP, TCP or TLS (one
UserAgent, one transport), INVITE (with digest
for 401/407) / ACK / BYE / CANCEL-free flows, REGISTER, answering OPTIONS;
SDP with one audio stream; RTP (RFC 3550 header, PCMA payload).
Retransmission follows RFC 3261's timers A/E/G (T1 = 0.5 s) so a lost
datagram does not fail a case, but nothing here is meant for lossy networks.

Used by tools/demo.py, tools/acceptance and the integration tests: the
function to reach for is two_way_call().

Only addresses the caller chooses are used: the lab's (198.18.0.0/15) or
those of a deployment named in an acceptance plan.
"""

import contextlib
import ctypes
import hashlib
import os
import queue
import random
import re
import select
import socket
import ssl
import struct
import threading
import time

T1 = 0.5
CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)
_ns_lock = threading.Lock()


@contextlib.contextmanager
def in_netns(ns):
    """Runs the block with this thread in network namespace `ns` (a name under
    /var/run/netns), then back. Sockets created inside stay in it."""
    if not ns:
        yield
        return
    with _ns_lock:
        home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
        target = os.open(os.path.join("/var/run/netns", ns), os.O_RDONLY)
        try:
            if _libc.setns(target, CLONE_NEWNET) != 0:
                e = ctypes.get_errno()
                raise OSError(e, f"setns({ns}): {os.strerror(e)}")
            try:
                yield
            finally:
                if _libc.setns(home, CLONE_NEWNET) != 0:
                    raise OSError(ctypes.get_errno(), "setns back to this thread's namespace")
        finally:
            os.close(home)
            os.close(target)


def udp_socket(ns, ip, port=0):
    with in_netns(ns):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        s.bind((ip, port))
    return s


def datagrams(sock, stop):
    """(data, source) as they arrive, until `stop` is set or the socket closes."""
    sock.settimeout(0.1)
    while not stop.is_set():
        try:
            yield sock.recvfrom(65535)
        except socket.timeout:
            continue
        except OSError:
            return


# --- RTP ---------------------------------------------------------------------

class RtpEndpoint:
    """One side's media socket: sends `count` RTP packets to a remote and
    counts the RTP packets it receives (by source)."""

    def __init__(self, ns, ip, port=0):
        self.sock = udp_socket(ns, ip, port)
        self.ip, self.port = self.sock.getsockname()
        self.ssrc = random.getrandbits(32)
        self.sent = 0
        self.received = 0
        self.sources = {}
        self.seqs = set()
        self._stop = threading.Event()
        self._rx = threading.Thread(target=self._receive, daemon=True)
        self._rx.start()

    def _receive(self):
        for data, src in datagrams(self.sock, self._stop):
            if len(data) < 12 or data[0] >> 6 != 2:
                continue  # not RTP
            self.received += 1
            self.seqs.add(struct.unpack("!H", data[2:4])[0])
            self.sources[f"{src[0]}:{src[1]}"] = self.sources.get(f"{src[0]}:{src[1]}", 0) + 1

    def send(self, remote, count, interval=0.02, payload_type=8):
        """`count` packets of 20 ms PCMA (160 bytes) to remote=(ip, port)."""
        seq = random.getrandbits(16)
        ts = random.getrandbits(32)
        payload = b"\xd5" * 160
        start = time.monotonic()
        for i in range(count):
            hdr = struct.pack("!BBHII", 0x80, (0x80 if i == 0 else 0) | payload_type,
                              (seq + i) & 0xFFFF, (ts + 160 * i) & 0xFFFFFFFF, self.ssrc)
            self.sock.sendto(hdr + payload, remote)
            self.sent += 1
            delay = start + (i + 1) * interval - time.monotonic()
            if delay > 0:
                time.sleep(delay)

    def close(self):
        self._stop.set()
        self._rx.join(1)
        self.sock.close()


def tcp_listener(ns, ip, port=0):
    with in_netns(ns):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((ip, port))
        s.listen(16)
    return s


def stream_messages(data):
    """Splits a stream buffer into whole SIP messages (framed by
    Content-Length, RFC 3261 18.3); returns (messages, what is left).
    CRLF keepalives between messages are skipped."""
    out = []
    while True:
        data = data.lstrip(b"\r\n")
        end = data.find(b"\r\n\r\n")
        if end < 0:
            return out, data
        m = re.search(rb"(?im)^(?:content-length|l)[ \t]*:[ \t]*(\d+)", data[:end])
        total = end + 4 + (int(m.group(1)) if m else 0)
        if len(data) < total:
            return out, data
        out.append(data[:total])
        data = data[total:]


class _Stream:
    """A TCP or TLS connection and the lock its reads and writes take."""

    def __init__(self, conn):
        self.conn = conn
        self.lock = threading.Lock()


# --- SIP messages --------------------------------------------------------------

_COMPACT = {"v": "via", "f": "from", "t": "to", "i": "call-id", "m": "contact",
            "l": "content-length", "c": "content-type"}


class Message:
    def __init__(self, data, src=None):
        text = data.decode("utf-8", "replace")
        head, _, body = text.partition("\r\n\r\n")
        lines = head.split("\r\n")
        self.first = lines[0]
        self.src = src
        self.headers = []
        for line in lines[1:]:
            if line[:1] in (" ", "\t") and self.headers:
                n, v = self.headers[-1]
                self.headers[-1] = (n, v + " " + line.strip())
                continue
            name, _, value = line.partition(":")
            name = name.strip().lower()
            self.headers.append((_COMPACT.get(name, name), value.strip()))
        n = self.get("content-length")
        self.body = body[:int(n)] if n and n.isdigit() else body
        self.is_response = self.first.startswith("SIP/2.0 ")
        if self.is_response:
            self.status = int(self.first.split()[1])
            self.method = self.get("cseq").split()[-1]
        else:
            self.method = self.first.split()[0]
            self.status = None

    def get(self, name, default=""):
        for n, v in self.headers:
            if n == name:
                return v
        return default

    def all(self, name):
        return [v for n, v in self.headers if n == name]

    @property
    def call_id(self):
        return self.get("call-id")

    @property
    def branch(self):
        m = re.search(r";\s*branch=([^;,\s]+)", self.get("via"))
        return m.group(1) if m else ""


def _tag(value):
    m = re.search(r";\s*tag=([^;>\s]+)", value)
    return m.group(1) if m else None


def _uri(value):
    m = re.search(r"<([^>]+)>", value)
    return m.group(1) if m else value.split(";")[0].strip()


def _hostport(uri):
    m = re.match(r"sips?:(?:[^@]+@)?([^:;>]+)(?::(\d+))?", uri)
    return (m.group(1), int(m.group(2) or 5060)) if m else None


def sdp_offer(ip, port, session="phone"):
    return (f"v=0\r\no={session} {random.getrandbits(31)} 1 IN IP4 {ip}\r\ns=-\r\n"
            f"c=IN IP4 {ip}\r\nt=0 0\r\nm=audio {port} RTP/AVP 8 0 101\r\n"
            "a=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\n"
            "a=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n")


def sdp_media(sdp):
    """(address, port) of the first audio stream (session or media c= line)."""
    addr, port = None, None
    for line in sdp.replace("\r\n", "\n").split("\n"):
        if line.startswith("c=IN IP4 ") and (addr is None or port is not None):
            addr = line.split()[2].split("/")[0]
        elif line.startswith("m=audio ") and port is None:
            port = int(line.split()[1])
    return (addr, port) if addr and port is not None else None


def _digest(challenge, method, uri, user, password):
    p = dict(re.findall(r'(\w+)="?([^",]*)"?', challenge))
    ha1 = hashlib.md5(f"{user}:{p['realm']}:{password}".encode()).hexdigest()
    ha2 = hashlib.md5(f"{method}:{uri}".encode()).hexdigest()
    if "qop" in p:
        cnonce = "%08x" % random.getrandbits(32)
        resp = hashlib.md5(f"{ha1}:{p['nonce']}:00000001:{cnonce}:auth:{ha2}".encode()).hexdigest()
        extra = f', cnonce="{cnonce}", nc=00000001, qop=auth'
    else:
        resp = hashlib.md5(f"{ha1}:{p['nonce']}:{ha2}".encode()).hexdigest()
        extra = ""
    opaque = f', opaque="{p["opaque"]}"' if "opaque" in p else ""
    # algorithm=MD5 last, as sipp writes it: sbcd (this version) loses an
    # Authorization header's last parameter, so qop or cnonce last gets 400
    # ("nc/cnonce without qop"); the default algorithm is MD5 anyway.
    return (f'Digest username="{user}", realm="{p["realm"]}", nonce="{p["nonce"]}", '
            f'uri="{uri}", response="{resp}"{opaque}{extra}, algorithm=MD5')


class Dialog:
    def __init__(self, ua, call_id, local_tag, local_uri, remote_uri, remote_tag, target,
                 peer, cseq, remote_sdp, route=()):
        self.ua, self.call_id = ua, call_id
        self.local_tag, self.remote_tag = local_tag, remote_tag
        self.local_uri, self.remote_uri = local_uri, remote_uri
        self.target, self.peer, self.cseq = target, peer, cseq
        self.remote_sdp = remote_sdp
        self.route = list(route)
        self.ended = threading.Event()
        self.ended_by = None  # "remote" when a BYE came in
        self.ack = None  # the ACK to resend when a 200 is retransmitted

    def media(self):
        return sdp_media(self.remote_sdp)

    def request(self, method, body="", ctype=None):
        self.cseq += 1
        headers = [f"From: <{self.local_uri}>;tag={self.local_tag}",
                   f"To: <{self.remote_uri}>;tag={self.remote_tag}",
                   f"Call-ID: {self.call_id}", f"CSeq: {self.cseq} {method}"]
        headers += [f"Route: {r}" for r in self.route]
        return self.ua.transaction(method, self.target, headers, body, ctype, self.peer)

    def bye(self, timeout=8.0):
        """Hangs up; the BYE's final status (None if never answered)."""
        r = self.request("BYE")
        final = self.ua.wait_final(r, timeout)
        self.ended_by = self.ended_by or "local"
        self.ended.set()
        return final.status if final else None


class Incoming:
    """An INVITE received by a UserAgent, to answer or reject."""

    def __init__(self, ua, msg):
        self.ua, self.msg = ua, msg
        self.tag = "%08x" % random.getrandbits(32)
        self.acked = threading.Event()
        self.cancelled = False
        self.dialog = None

    @property
    def number(self):
        m = re.match(r"\S+ sips?:([^@;>]+)@", self.msg.first)
        return m.group(1) if m else ""

    def respond(self, status, reason, body="", extra=()):
        m = self.msg
        to = m.get("to") if status == 100 else f"{m.get('to')};tag={self.tag}"
        headers = [f"Via: {v}" for v in m.all("via")] + [
            f"From: {m.get('from')}", f"To: {to}", f"Call-ID: {m.call_id}",
            f"CSeq: {m.get('cseq')}"] + [f"Record-Route: {r}" for r in m.all("record-route")]
        headers += list(extra)
        if status > 100:
            headers.append(self.ua._contact())
        data = self.ua.build(f"SIP/2.0 {status} {reason}", headers, body,
                             "application/sdp" if body else None)
        self.ua.remember_response(m, data)
        self.ua.send_raw(data, m.src)
        return data

    def _until_acked(self, data, timeout=32 * T1):
        # Timer G: resend the final answer until the ACK (RFC 3261 17.2.1).
        interval, deadline = T1, time.monotonic() + timeout
        while not self.acked.wait(min(interval, max(0, deadline - time.monotonic()))):
            if time.monotonic() >= deadline:
                return False
            self.ua.send_raw(data, self.msg.src)
            interval = min(interval * 2, 4.0)
        return True

    def answer(self, rtp, ring=True):
        """180 (optional), then 200 with an SDP answer for `rtp`; returns the
        Dialog once ACKed (None if the ACK never came)."""
        m = self.msg
        self.respond(100, "Trying")
        if ring:
            self.respond(180, "Ringing")
        sdp = sdp_offer(rtp.ip, rtp.port, "callee")
        self.dialog = Dialog(self.ua, m.call_id, self.tag, _uri(m.get("to")), _uri(m.get("from")),
                             _tag(m.get("from")), _uri(m.get("contact")), m.src,
                             1000, m.body, route=m.all("record-route"))
        self.ua.dialogs[(m.call_id, self.tag)] = self.dialog
        data = self.respond(200, "OK", sdp)
        return self.dialog if self._until_acked(data) else None

    def reject(self, status, reason="Rejected"):
        self.respond(100, "Trying")
        return self._until_acked(self.respond(status, reason))


class UserAgent:
    """SIP at ip:port (in namespace ns) over `transport`: "udp", "tcp" or
    "tls". A receive thread answers what needs no decision (OPTIONS, BYE, ACK,
    retransmissions) and queues the rest: new INVITEs for wait_invite(),
    responses for the transaction that sent the request.

    Over TCP and TLS the UA listens at ip:port (TLS with `certificate`, a PEM
    file holding key and certificate) and connects out when it has no
    connection to a destination yet; an answer goes back on the connection its
    request came in on. It does not check the certificates it is shown: the
    tests check the SBC's side of that."""

    def __init__(self, ns, ip, port=5060, user="6001", password=None, transport="udp",
                 certificate=None):
        self.ns, self.ip, self.user, self.password = ns, ip, user, password
        self.transport = transport
        self._conns = {}  # stream transports: remote (ip, port) -> socket
        self._conns_lock = threading.Lock()
        self._threads = []
        if transport == "udp":
            self.sock = udp_socket(ns, ip, port)
        elif transport in ("tcp", "tls"):
            self.sock = tcp_listener(ns, ip, port)
            self.sock.settimeout(0.2)
            if transport == "tls":
                self._server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                self._server_tls.load_cert_chain(certificate)
                self._client_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
                self._client_tls.check_hostname = False
                self._client_tls.verify_mode = ssl.CERT_NONE
        else:
            raise ValueError(f"unknown transport {transport}")
        self.port = self.sock.getsockname()[1]
        self.invites = queue.Queue()
        self.dialogs = {}
        self._tx = {}  # branch -> queue of responses
        self._answers = {}  # (call-id, branch) of a received request -> our last response
        self._incoming = {}  # (call-id, branch) of a received INVITE -> Incoming
        self.options_answered = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    # transport
    @property
    def reliable(self):
        return self.transport != "udp"

    def _uri_params(self):
        return "" if self.transport == "udp" else f";transport={self.transport}"

    def _contact(self):
        return f"Contact: <sip:{self.user}@{self.ip}:{self.port}{self._uri_params()}>"

    def _via(self, branch):
        return (f"Via: SIP/2.0/{self.transport.upper()} {self.ip}:{self.port};branch={branch}"
                ";rport")

    def send_raw(self, data, dest):
        try:
            if not self.reliable:
                self.sock.sendto(data, dest)
                return
            with self._conns_lock:
                stream = self._conns.get(dest)
            if stream is None:
                stream = self._connect(dest)
            with stream.lock:
                stream.conn.sendall(data)
        except OSError:
            pass  # an unreachable network or a closed connection is seen as no answer

    def _connect(self, dest):
        with in_netns(self.ns):
            raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        raw.settimeout(5)
        raw.bind((self.ip, 0))
        raw.connect(dest)
        conn = self._client_tls.wrap_socket(raw) if self.transport == "tls" else raw
        return self._serve(conn, dest)

    def _serve(self, conn, peer):
        stream = _Stream(conn)
        with self._conns_lock:
            self._conns[peer] = stream
        th = threading.Thread(target=self._read_stream, args=(stream, peer), daemon=True)
        th.start()
        self._threads.append(th)
        return stream

    def _accept_loop(self):
        while not self._stop.is_set():
            try:
                raw, peer = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            try:
                raw.settimeout(5)
                conn = (self._server_tls.wrap_socket(raw, server_side=True)
                        if self.transport == "tls" else raw)
            except (OSError, ssl.SSLError):
                raw.close()
                continue
            self._serve(conn, peer)

    def _read_stream(self, stream, peer):
        # One TLS connection must not be read and written at the same time
        # from two threads (OpenSSL's SSL object is not thread-safe): wait
        # for data without the lock, read with it; send_raw writes with it.
        conn, buf = stream.conn, b""
        while not self._stop.is_set():
            pending = self.transport == "tls" and conn.pending()
            if not pending:
                try:
                    readable, _, _ = select.select([conn], [], [], 0.2)
                except (OSError, ValueError):
                    break
                if not readable:
                    continue
            try:
                with stream.lock:
                    # Readable may be TLS records with no data in them (a
                    # TLS 1.3 session ticket): wait briefly, not holding
                    # the lock against a send for long.
                    conn.settimeout(0.05)
                    try:
                        chunk = conn.recv(65536)
                    finally:
                        conn.settimeout(5)
            except (socket.timeout, ssl.SSLWantReadError):
                continue
            except (OSError, ssl.SSLError):
                break
            if not chunk:
                break
            msgs, buf = stream_messages(buf + chunk)
            for data in msgs:
                self._dispatch(data, peer)
        with self._conns_lock:
            if self._conns.get(peer) is stream:
                del self._conns[peer]
        with contextlib.suppress(OSError):
            conn.close()

    def build(self, first, headers, body="", ctype=None):
        lines = [first] + list(headers)
        if ctype:
            lines.append(f"Content-Type: {ctype}")
        lines.append(f"Content-Length: {len(body.encode())}")
        return ("\r\n".join(lines) + "\r\n\r\n" + body).encode()

    def remember_response(self, req, data):
        self._answers[(req.call_id, req.branch)] = data

    def _loop(self):
        if self.reliable:
            self._accept_loop()
            return
        for data, src in datagrams(self.sock, self._stop):
            self._dispatch(data, src)

    def _dispatch(self, data, src):
        if not data.strip():
            return  # keepalive
        try:
            msg = Message(data, src)
        except (ValueError, IndexError):
            return
        if msg.is_response:
            self._on_response(msg)
        else:
            self._on_request(msg)

    def _on_response(self, msg):
        q = self._tx.get(msg.branch)
        if q is not None:
            q.put(msg)
        elif msg.method == "INVITE" and 200 <= msg.status < 300:
            d = self.dialogs.get((msg.call_id, _tag(msg.get("from"))))
            if d and d.ack:
                self.send_raw(d.ack, d.peer)  # a retransmitted 200: ACK again

    def _on_request(self, msg):
        key = (msg.call_id, msg.branch)
        if msg.method == "ACK":
            for inc in self._incoming.values():
                if inc.msg.call_id == msg.call_id:
                    inc.acked.set()
            return
        if key in self._answers:  # a retransmission
            self.send_raw(self._answers[key], msg.src)
            return
        if msg.method == "INVITE":
            if _tag(msg.get("to")):
                self._simple_answer(msg, 488, "Not Acceptable Here")  # no re-INVITEs here
                return
            inc = Incoming(self, msg)
            self._incoming[key] = inc
            self.invites.put(inc)
        elif msg.method == "BYE":
            d = self.dialogs.get((msg.call_id, _tag(msg.get("to"))))
            self._simple_answer(msg, 200 if d else 481, "OK" if d else "No Such Call")
            if d:
                d.ended_by = d.ended_by or "remote"
                d.ended.set()
        elif msg.method == "CANCEL":
            self._simple_answer(msg, 200, "OK")
            inc = self._incoming.get(key)
            if inc and not inc.acked.is_set():
                inc.cancelled = True
                inc.respond(487, "Request Terminated")
        else:
            if msg.method == "OPTIONS":
                self.options_answered += 1
            self._simple_answer(msg, 200, "OK")

    def _simple_answer(self, msg, status, reason):
        to = msg.get("to") if _tag(msg.get("to")) else f"{msg.get('to')};tag=ua{random.getrandbits(24)}"
        data = self.build(f"SIP/2.0 {status} {reason}",
                          [f"Via: {v}" for v in msg.all("via")] +
                          [f"From: {msg.get('from')}", f"To: {to}", f"Call-ID: {msg.call_id}",
                           f"CSeq: {msg.get('cseq')}"])
        self.remember_response(msg, data)
        self.send_raw(data, msg.src)

    # client transactions
    def transaction(self, method, uri, headers, body="", ctype=None, dest=None):
        """Sends a request (retransmitted per timers A/E until a response);
        returns a handle for wait_final()."""
        branch = "z9hG4bK" + "%012x" % random.getrandbits(48)
        data = self.build(f"{method} {uri} SIP/2.0",
                          [self._via(branch), "Max-Forwards: 70"] + list(headers) +
                          [self._contact(), "User-Agent: sbc-rtp-actor"], body, ctype)
        q = queue.Queue()
        self._tx[branch] = q
        dest = dest or _hostport(uri)
        self.send_raw(data, dest)
        return {"branch": branch, "queue": q, "data": data, "dest": dest, "method": method,
                "sent": time.monotonic()}

    def wait_final(self, tx, timeout, on_provisional=None):
        """The final response of a transaction, or None after `timeout`."""
        deadline = time.monotonic() + timeout
        interval, next_resend, got_provisional = T1, time.monotonic() + T1, False
        while True:
            now = time.monotonic()
            if now >= deadline:
                self._tx.pop(tx["branch"], None)
                return None
            wait = min(deadline, next_resend if not got_provisional else deadline) - now
            try:
                msg = tx["queue"].get(timeout=max(0.01, wait))
            except queue.Empty:
                if (not got_provisional and not self.reliable and
                        time.monotonic() >= next_resend):
                    self.send_raw(tx["data"], tx["dest"])
                    interval = min(interval * 2, 4.0)
                    next_resend = time.monotonic() + interval
                continue
            if msg.status < 200:
                got_provisional = True
                if on_provisional:
                    on_provisional(msg)
                continue
            self._tx.pop(tx["branch"], None)
            return msg

    def _ack_failure(self, tx, final):
        # ACK of a non-2xx answer: same branch, To with the answer's tag.
        req = Message(tx["data"])
        data = self.build(f"ACK {req.first.split()[1]} SIP/2.0",
                          [req.get("via") and f"Via: {req.get('via')}", "Max-Forwards: 70",
                           f"From: {req.get('from')}", f"To: {final.get('to')}",
                           f"Call-ID: {req.call_id}", f"CSeq: {req.get('cseq').split()[0]} ACK"])
        self.send_raw(data, tx["dest"])

    def invite(self, target, number, rtp, timeout=15.0, auth=None, domain=None):
        """Places a call to `number` through the SBC at target=(ip, port).
        Returns (status, Dialog or None, seconds to the final answer)."""
        host = domain or target[0]
        uri = f"sip:{number}@{host}:{target[1]}{self._uri_params()}"
        call_id = "%016x@%s" % (random.getrandbits(64), self.ip)
        tag = "%08x" % random.getrandbits(32)
        local = f"sip:{self.user}@{self.ip}:{self.port}{self._uri_params()}"
        sdp = sdp_offer(rtp.ip, rtp.port)
        t0 = time.monotonic()
        cseq, extra = 1, []
        while True:
            tx = self.transaction("INVITE", uri, [f"From: <{local}>;tag={tag}", f"To: <{uri}>",
                                                  f"Call-ID: {call_id}", f"CSeq: {cseq} INVITE"]
                                  + extra, sdp, "application/sdp", target)
            final = self.wait_final(tx, timeout)
            if final is None:
                return None, None, time.monotonic() - t0
            if final.status in (401, 407) and auth and not extra:
                self._ack_failure(tx, final)
                hdr = "proxy-authenticate" if final.status == 407 else "www-authenticate"
                name = "Proxy-Authorization" if final.status == 407 else "Authorization"
                extra = [f"{name}: " + _digest(final.get(hdr), "INVITE", uri, *auth)]
                cseq += 1
                continue
            if final.status >= 300:
                self._ack_failure(tx, final)
                return final.status, None, time.monotonic() - t0
            break
        d = Dialog(self, call_id, tag, local, uri, _tag(final.get("to")),
                   _uri(final.get("contact")) or uri, target, cseq, final.body,
                   route=list(reversed(final.all("record-route"))))
        self.dialogs[(call_id, tag)] = d
        d.ack = self.build(f"ACK {d.target} SIP/2.0", [
            self._via(f"z9hG4bK{random.getrandbits(48):012x}"),
            "Max-Forwards: 70", f"From: <{local}>;tag={tag}", f"To: {final.get('to')}",
            f"Call-ID: {call_id}", f"CSeq: {cseq} ACK"] + [f"Route: {r}" for r in d.route])
        self.send_raw(d.ack, target)
        return final.status, d, time.monotonic() - t0

    def register(self, target, user, password, expires=300, timeout=8.0):
        """REGISTER with digest; returns the final status (None: no answer)."""
        uri = f"sip:{target[0]}:{target[1]}"
        aor = f"sip:{user}@{target[0]}"
        call_id = "%016x@%s" % (random.getrandbits(64), self.ip)
        tag = "%08x" % random.getrandbits(32)
        extra = []
        for cseq in (1, 2):
            tx = self.transaction("REGISTER", uri, [f"From: <{aor}>;tag={tag}", f"To: <{aor}>",
                                                    f"Call-ID: {call_id}", f"CSeq: {cseq} REGISTER",
                                                    f"Expires: {expires}"] + extra, dest=target)
            final = self.wait_final(tx, timeout)
            if final is None or final.status not in (401, 407) or extra:
                return final.status if final else None
            hdr = "www-authenticate" if final.status == 401 else "proxy-authenticate"
            name = "Authorization" if final.status == 401 else "Proxy-Authorization"
            extra = [f"{name}: " + _digest(final.get(hdr), "REGISTER", uri, user, password)]
        return None

    def wait_invite(self, timeout):
        try:
            return self.invites.get(timeout=timeout)
        except queue.Empty:
            return None

    def close(self):
        self._stop.set()
        self._thread.join(1)
        for th in self._threads:
            th.join(1)
        self.sock.close()


# --- a whole call --------------------------------------------------------------

def exchange_media(a_rtp, a_dialog, b_rtp, b_dialog, packets=50, interval=0.02, drain=0.5,
                   first=None):
    """Both sides send `packets` RTP packets to the media address the SBC gave
    them (in the SDP each received) at the same time; returns the counts.
    first="caller"/"callee": that side starts 100 ms earlier. A phone behind
    NAT must: the SBC learns where to reach it from its first packet
    (latching), and relays nothing toward it before."""
    a_to, b_to = a_dialog.media(), b_dialog.media()
    a_rtp.sent = b_rtp.sent = 0
    a_rtp.received = b_rtp.received = 0
    a_rtp.sources, b_rtp.sources = {}, {}
    a_rtp.seqs, b_rtp.seqs = set(), set()
    ta = threading.Thread(target=a_rtp.send, args=(a_to, packets, interval))
    tb = threading.Thread(target=b_rtp.send, args=(b_to, packets, interval))
    order = (tb, ta) if first == "callee" else (ta, tb)
    order[0].start()
    if first:
        time.sleep(0.1)
    order[1].start()
    ta.join()
    tb.join()
    deadline = time.monotonic() + drain
    while time.monotonic() < deadline and (a_rtp.received < b_rtp.sent or
                                           b_rtp.received < a_rtp.sent):
        time.sleep(0.02)
    return {
        "caller_media_to": f"{a_to[0]}:{a_to[1]}", "callee_media_to": f"{b_to[0]}:{b_to[1]}",
        # Loss counts distinct sequence numbers: a duplicate does not hide a loss.
        "caller_to_callee": {"sent": a_rtp.sent, "received": b_rtp.received,
                             "loss": a_rtp.sent - len(b_rtp.seqs), "from": dict(b_rtp.sources)},
        "callee_to_caller": {"sent": b_rtp.sent, "received": a_rtp.received,
                             "loss": b_rtp.sent - len(a_rtp.seqs), "from": dict(a_rtp.sources)},
    }


def two_way_call(caller, callee, target, number, packets=50, hangup="caller", auth=None,
                 interval=0.02, answer_timeout=15.0, during=None, first=None, far_bye_wait=5.0):
    """One call from UserAgent `caller` through the SBC at target=(ip, port)
    to `number`, answered by UserAgent `callee`, with RTP both ways; then the
    `hangup` side ("caller" or "callee") sends BYE. `during(result)` runs
    while the call is up (to look at the SBC's pinholes, for example);
    `first` is exchange_media's (the side behind NAT sends first);
    far_bye_wait: how long the other side may take to see the BYE.
    Returns a dict: status, setup_s, media counts, bye status, ended_by,
    and `ok` (answered, every packet arrived each way, BYE answered 200)."""
    a_rtp = RtpEndpoint(caller.ns, caller.ip)
    b_rtp = RtpEndpoint(callee.ns, callee.ip)
    res = {"number": number, "ok": False}
    box = {}

    given_up = threading.Event()

    def answer():
        # In slices, so a call that failed before reaching the callee does
        # not leave a thread behind to take the next call's INVITE.
        deadline = time.monotonic() + answer_timeout
        inc = None
        while inc is None and not given_up.is_set() and time.monotonic() < deadline:
            inc = callee.wait_invite(0.1)
        box["incoming"] = inc
        if inc:
            box["dialog"] = inc.answer(b_rtp)

    th = threading.Thread(target=answer, daemon=True)
    th.start()
    try:
        status, a_dlg, setup = caller.invite(target, number, a_rtp, timeout=answer_timeout,
                                             auth=auth)
        res.update(status=status, setup_s=round(setup, 3))
        if status != 200:
            given_up.set()
        th.join(answer_timeout)
        b_dlg = box.get("dialog")
        if status != 200 or not a_dlg or not b_dlg:
            res["why"] = (f"caller got {status}" if status != 200 else
                          "the callee never saw the INVITE" if not box.get("incoming")
                          else "the callee's 200 was never acknowledged")
            if a_dlg:
                a_dlg.bye()
            return res
        res["called_number_at_callee"] = box["incoming"].number
        res["media"] = exchange_media(a_rtp, a_dlg, b_rtp, b_dlg, packets, interval,
                                      first=first)
        if during:
            during(res)
        hanger, other = (a_dlg, b_dlg) if hangup == "caller" else (b_dlg, a_dlg)
        t0 = time.monotonic()
        res["bye_status"] = hanger.bye()
        res["other_side_saw_bye"] = other.ended.wait(far_bye_wait)
        res["release_s"] = round(time.monotonic() - t0, 3)
        m = res["media"]
        res["ok"] = (res["bye_status"] == 200 and res["other_side_saw_bye"] and
                     all(m[d]["received"] == packets and m[d]["loss"] == 0
                         for d in ("caller_to_callee", "callee_to_caller")))
        if not res["ok"]:
            res["why"] = (f"BYE answered {res['bye_status']}" if res["bye_status"] != 200 else
                          "the other side never saw the BYE" if not res["other_side_saw_bye"]
                          else f"media lost: {m['caller_to_callee']['loss']} caller->callee, "
                               f"{m['callee_to_caller']['loss']} callee->caller")
        return res
    finally:
        a_rtp.close()
        b_rtp.close()

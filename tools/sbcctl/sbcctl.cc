// sbcctl: the operator's command line for a running sbcd, over its local
// admin socket. The daemon renders replies (tables, or JSON with --json), so
// this tool stays thin: send the words, print the body, exit 0 or 1.
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "controlplane/admin_protocol.h"
#include "policy/policy_check.h"

namespace {

void usage() {
  fputs(
      "usage: sbcctl [--socket PATH] COMMAND [ARGS...]\n"
      "  status [--json]               version, uptime, policy, legs\n"
      "  peers [--json]                kind, leg, health, registration per peer\n"
      "  registrations [--json] [USER] phone registrations\n"
      "  calls [--json]                active calls\n"
      "  stats [--json]                dataplane drops by reason, packets per leg\n"
      "  dataplane [--json]            ports, queues, TAPs, links, counters per leg\n"
      "  trace start [peer NAME | address IP | call-id ID]\n"
      "  trace show|stop [--json]      SIP messages sbcd sent and received, on demand\n"
      "  trace show|stop --pcap FILE   the same as a pcap file (Wireshark, tshark)\n"
      "  reload                        reload sbcd's policy file\n"
      "  bans [--json]                 deny list and SIP-layer bans\n"
      "  ban PREFIX [--for D] [--reason TEXT]  drop a source in the dataplane\n"
      "  unban PREFIX                  lift a ban\n"
      "  policy check FILE [--strict]  validate a policy here (sbcd need not run)\n"
      "  help [--json]                 every command this sbcd knows\n"
      "The socket defaults to $SBC_ADMIN_SOCKET, else /run/sbcd/admin.sock.\n"
      "Exit status: 0 done, 1 sbcd refused the command, 2 bad usage,\n"
      "3 sbcd not reachable (not running, or no permission on its socket).\n",
      stderr);
}

// Writes a pcap reply to `file` (0600: SIP messages carry credentials'
// digests and numbers) and says how many messages it holds.
int write_pcap(const std::string& file, const std::string& body) {
  // O_NOFOLLOW: run as root, a symlink planted at the path is not followed;
  // fchmod: a file that existed keeps no wider mode than 0600.
  int fd = open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0 || fchmod(fd, 0600) != 0) {
    fprintf(stderr, "sbcctl: cannot write %s: %s\n", file.c_str(), strerror(errno));
    if (fd >= 0) close(fd);
    return 1;
  }
  size_t off = 0;
  while (off < body.size()) {
    ssize_t n = write(fd, body.data() + off, body.size() - off);
    if (n <= 0) {
      fprintf(stderr, "sbcctl: writing %s failed: %s\n", file.c_str(), strerror(errno));
      close(fd);
      return 1;
    }
    off += static_cast<size_t>(n);
  }
  close(fd);
  // Records follow the 24-byte file header, each a 16-byte header (its
  // captured length at offset 8) and the packet.
  size_t records = 0;
  for (size_t pos = 24; pos + 16 <= body.size(); ++records) {
    uint32_t caplen;
    memcpy(&caplen, body.data() + pos + 8, 4);
    pos += 16 + caplen;
  }
  printf("wrote %zu message(s) to %s\n", records, file.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string path =
      getenv("SBC_ADMIN_SOCKET") ? getenv("SBC_ADMIN_SOCKET") : sbc::admin::kDefaultSocketPath;
  std::vector<std::string> words;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (words.empty() && a == "--socket" && i + 1 < argc) {
      path = argv[++i];
    } else if (words.empty() && (a == "-h" || a == "--help")) {
      usage();
      return 0;
    } else {
      if (a.find('\n') != std::string::npos) {
        fprintf(stderr, "sbcctl: arguments may not contain newlines\n");
        return 2;
      }
      words.push_back(a);
    }
  }
  if (words.empty()) {
    usage();
    return 2;
  }
  // Checking a file needs no daemon: the same loader and linter as sbcd's.
  if (words.size() >= 3 && words[0] == "policy" && words[1] == "check") {
    bool strict = words.size() == 4 && words[3] == "--strict";
    if (words.size() > 4 || (words.size() == 4 && !strict)) {
      fprintf(stderr, "usage: sbcctl policy check FILE [--strict]\n");
      return 2;
    }
    return sbc::policy::check_policy_file(words[2], strict, stdout, stderr);
  }

  // `trace show|stop --pcap FILE`: sbcd sends the pcap, sbcctl writes the
  // file (sbcd may run as another user, in another directory).
  std::string pcap_file;
  if (words.size() >= 3 && words[0] == "trace" && words[2] == "--pcap") {
    if (words.size() != 4 || (words[1] != "show" && words[1] != "stop")) {
      fprintf(stderr, "usage: sbcctl trace show|stop --pcap FILE\n");
      return 2;
    }
    pcap_file = words[3];
    words.pop_back();
  }

  sockaddr_un addr{};
  if (path.size() >= sizeof addr.sun_path) {
    fprintf(stderr, "sbcctl: socket path too long: %s\n", path.c_str());
    return 2;
  }
  addr.sun_family = AF_UNIX;
  memcpy(addr.sun_path, path.c_str(), path.size());
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    int e = errno;
    // The two causes an operator meets, said plainly; anything else verbatim.
    if (e == ENOENT || e == ECONNREFUSED)
      fprintf(stderr, "sbcctl: sbcd is not running (nothing listens on %s)\n", path.c_str());
    else if (e == EACCES || e == EPERM)
      fprintf(stderr,
              "sbcctl: permission denied on %s: run as root or as a member of sbcd's "
              "--admin-group\n",
              path.c_str());
    else
      fprintf(stderr, "sbcctl: cannot reach sbcd at %s: %s\n", path.c_str(), strerror(e));
    return 3;
  }
  timeval tv{30, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string req = sbc::admin::encode_request(words);
  if (write(fd, req.data(), req.size()) != static_cast<ssize_t>(req.size())) {
    fprintf(stderr, "sbcctl: sending to sbcd failed: %s\n", strerror(errno));
    return 3;
  }
  std::string reply;
  char buf[65536];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0) {
      fprintf(stderr, "sbcctl: reading sbcd's reply failed: %s\n", strerror(errno));
      return 3;
    }
    if (n == 0) break;
    reply.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  auto r = sbc::admin::decode_reply(reply);
  if (!r) {
    fprintf(stderr, "sbcctl: sbcd sent a malformed reply\n");
    return 3;
  }
  if (r->ok && !pcap_file.empty()) return write_pcap(pcap_file, r->body);
  fputs(r->body.c_str(), r->ok ? stdout : stderr);
  return r->ok ? 0 : 1;
}

#include "controlplane/admin_server.h"

#include <fcntl.h>
#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <vector>

#include "controlplane/json_writer.h"

namespace sbc::controlplane {
namespace {
// A local tool that does not finish its request in this time is cut off, so a
// stuck client cannot hold a slot for ever.
constexpr auto kRequestDeadline = std::chrono::seconds(5);
// Replies are written with a send timeout: the socket is local and replies are
// small, so this bounds the worst case an unreading client can stall the loop.
constexpr int kSendTimeoutMs = 1000;
constexpr size_t kMaxConnections = 32;
}  // namespace

AdminServer::~AdminServer() {
  while (!connections_.empty()) close_connection(connections_.begin()->first);
  if (sweep_timer_ >= 0) loop_.cancel(sweep_timer_);
  if (listen_watch_ >= 0) loop_.unwatch(listen_watch_);
  if (listen_fd_ >= 0) {
    close(listen_fd_);
    unlink(path_.c_str());
  }
}

void AdminServer::on(const std::string& command, std::string help, Handler h) {
  commands_[command] = Command{std::move(help), std::move(h)};
}

Status AdminServer::listen(const std::string& path, const std::string& group) {
  sockaddr_un addr{};
  if (path.size() >= sizeof addr.sun_path)
    return make_error("admin socket path '" + path + "' is too long");
  gid_t gid = static_cast<gid_t>(-1);
  if (!group.empty()) {
    // getgrnam_r with a fixed buffer: group entries with many members can
    // exceed it, which is reported rather than truncated.
    std::vector<char> buf(16384);
    struct group gr, *found = nullptr;
    int rc = getgrnam_r(group.c_str(), &gr, buf.data(), buf.size(), &found);
    if (rc != 0 || !found)
      return make_error("admin group '" + group + "' does not exist" +
                        (rc ? std::string(": ") + std::strerror(rc) : std::string()));
    gid = found->gr_gid;
  }
  std::error_code ec;
  auto dir = std::filesystem::path(path).parent_path();
  if (!dir.empty() && !std::filesystem::exists(dir)) {
    std::filesystem::create_directories(dir, ec);
    if (ec) return make_error("cannot create " + dir.string() + ": " + ec.message());
    chmod(dir.c_str(), 0750);
  }
  // The admin group must be able to reach the socket: give it the directory
  // when the directory is sbcd's own (created above, or systemd's
  // RuntimeDirectory), never a shared one such as /tmp.
  struct stat dst;
  if (gid != static_cast<gid_t>(-1) && !dir.empty() && stat(dir.c_str(), &dst) == 0 &&
      dst.st_uid == geteuid() && (dst.st_mode & S_IWOTH) == 0) {
    if (chown(dir.c_str(), static_cast<uid_t>(-1), gid) != 0 ||
        chmod(dir.c_str(), (dst.st_mode & 07777) | S_IXGRP) != 0)
      return make_error("giving " + dir.string() + " to group '" + group +
                        "': " + std::strerror(errno));
  }
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size());

  // A socket file left by a crashed sbcd is removed; a live one means another
  // sbcd owns this path, which must not be stolen.
  if (std::filesystem::exists(path)) {
    int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    bool live = probe >= 0 && connect(probe, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    if (probe >= 0) close(probe);
    if (live) return make_error("another sbcd is already listening on " + path);
    unlink(path.c_str());
  }

  listen_fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) return make_error(std::string("admin socket: ") + std::strerror(errno));
  // Created with no access for others at all, then opened to the group: the
  // socket is never connectable by anyone else, not even briefly.
  mode_t old = umask(0177);
  int rc = bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  umask(old);
  if (rc != 0) return make_error("bind " + path + ": " + std::strerror(errno));
  if (gid != static_cast<gid_t>(-1)) {
    if (chown(path.c_str(), static_cast<uid_t>(-1), gid) != 0 || chmod(path.c_str(), 0660) != 0)
      return make_error("giving " + path + " to group '" + group + "': " + std::strerror(errno));
  }
  if (::listen(listen_fd_, 16) != 0)
    return make_error("listen " + path + ": " + std::strerror(errno));
  path_ = path;
  auto w = loop_.watch_readable(listen_fd_, [this] { accept_ready(); });
  if (!w) return w.error();
  listen_watch_ = *w;
  auto t = loop_.every(std::chrono::seconds(1), [this] { sweep_idle(); });
  if (!t) return t.error();
  sweep_timer_ = *t;
  return ok_status();
}

void AdminServer::accept_ready() {
  for (;;) {
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;  // EAGAIN, or a transient error: the loop calls again
    if (connections_.size() >= kMaxConnections) {
      close(fd);
      continue;
    }
    auto w = loop_.watch_readable(fd, [this, fd] { read_ready(fd); });
    if (!w) {
      close(fd);
      continue;
    }
    connections_[fd] =
        std::make_unique<Connection>(Connection{fd, *w, {}, std::chrono::steady_clock::now()});
  }
}

void AdminServer::read_ready(int fd) {
  auto it = connections_.find(fd);
  if (it == connections_.end()) return;
  Connection& c = *it->second;
  char buf[4096];
  ssize_t n = read(fd, buf, sizeof buf);
  if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
    close_connection(fd);
    return;
  }
  if (n < 0) return;
  c.buffer.append(buf, static_cast<size_t>(n));
  auto words = admin::decode_request(c.buffer);
  if (!words) return;  // need more
  admin::Reply reply =
      words->empty() ? admin::Reply{false, "malformed request\n"} : dispatch(*words);
  std::string out = admin::encode_reply(reply);

  int flags = fcntl(fd, F_GETFL);
  fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  timeval tv{kSendTimeoutMs / 1000, (kSendTimeoutMs % 1000) * 1000};
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  size_t off = 0;
  while (off < out.size()) {
    ssize_t w = write(fd, out.data() + off, out.size() - off);
    if (w <= 0) break;  // client gone or too slow: drop the rest
    off += static_cast<size_t>(w);
  }
  close_connection(fd);
}

void AdminServer::close_connection(int fd) {
  auto it = connections_.find(fd);
  if (it == connections_.end()) return;
  loop_.unwatch(it->second->watch);
  close(fd);
  connections_.erase(it);
}

void AdminServer::sweep_idle() {
  auto now = std::chrono::steady_clock::now();
  std::vector<int> stale;
  for (auto& [fd, c] : connections_)
    if (now - c->opened > kRequestDeadline) stale.push_back(fd);
  for (int fd : stale) close_connection(fd);
}

admin::Reply AdminServer::dispatch(const std::vector<std::string>& words) {
  const std::string& cmd = words.front();
  if (cmd == "help") {
    bool json = words.size() == 2 && words[1] == "--json";
    if (words.size() > 1 && !json) return {false, "usage: help [--json]\n"};
    std::string body;
    JsonWriter w;
    w.begin_object();
    for (auto& [name, c] : commands_) {
      body += name + "\t" + c.help + "\n";
      w.key(name).value(c.help);
    }
    w.end_object();
    return {true, json ? w.str() + "\n" : body};
  }
  auto it = commands_.find(cmd);
  if (it == commands_.end()) return {false, "unknown command '" + cmd + "' (try: sbcctl help)\n"};
  return it->second.handler(std::vector<std::string>(words.begin() + 1, words.end()));
}

}  // namespace sbc::controlplane

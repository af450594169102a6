// The local admin socket sbcctl talks to (Unix domain): mode 0600 (sbcd's
// user, root under systemd) unless an admin group is given, then 0660 owned by
// that group, so operators in it need no root for sbcctl. Requests are handled on the event loop
// thread, so command handlers may read control-plane state without locks.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "controlplane/admin_protocol.h"
#include "controlplane/event_loop.h"

namespace sbc::controlplane {

class AdminServer {
 public:
  using Handler = std::function<admin::Reply(const std::vector<std::string>& args)>;

  explicit AdminServer(EventLoop& loop) : loop_(loop) {}
  ~AdminServer();

  // Registers `command` (the first word of a request); args exclude it.
  void on(const std::string& command, std::string help, Handler h);
  // group: empty for owner-only access, else a group name that may connect.
  Status listen(const std::string& path, const std::string& group = "");
  const std::string& path() const { return path_; }

 private:
  struct Connection {
    int fd;
    EventLoop::WatchId watch;
    std::string buffer;
    std::chrono::steady_clock::time_point opened;
  };
  void accept_ready();
  void read_ready(int fd);
  void close_connection(int fd);
  void sweep_idle();
  admin::Reply dispatch(const std::vector<std::string>& words);

  EventLoop& loop_;
  std::string path_;
  int listen_fd_ = -1;
  EventLoop::WatchId listen_watch_ = -1;
  EventLoop::TimerId sweep_timer_ = -1;
  struct Command {
    std::string help;
    Handler handler;
  };
  std::map<std::string, Command> commands_;
  std::map<int, std::unique_ptr<Connection>> connections_;
};

}  // namespace sbc::controlplane

#include "controlplane/signal_watcher.h"

#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace sbc::controlplane {
namespace {
sigset_t control_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  return set;
}
}  // namespace

void block_control_signals() {
  sigset_t set = control_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  // A closed admin client must not kill the daemon.
  signal(SIGPIPE, SIG_IGN);
}

SignalWatcher::~SignalWatcher() {
  if (loop_ && watch_ >= 0) loop_->unwatch(watch_);
  if (fd_ >= 0) close(fd_);
}

Status SignalWatcher::attach(EventLoop& loop) {
  sigset_t set = control_signals();
  fd_ = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  if (fd_ < 0) return make_error(std::string("signalfd: ") + std::strerror(errno));
  auto w = loop.watch_readable(fd_, [this] { drain(); });
  if (!w) return w.error();
  loop_ = &loop;
  watch_ = *w;
  return ok_status();
}

void SignalWatcher::drain() {
  signalfd_siginfo info;
  while (read(fd_, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
    if (info.ssi_signo == SIGHUP)
      on_reload_();
    else
      on_stop_();
  }
}

}  // namespace sbc::controlplane

#include "controlplane/call_record_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace sbc::controlplane {

CallRecordLog::~CallRecordLog() {
  if (fd_ >= 0) close(fd_);
}

Status CallRecordLog::open(const std::string& path) {
  // O_APPEND: each record is one write(2), so lines never interleave or tear
  // with another writer of the same file.
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0) return make_error("call records " + path + ": " + strerror(errno));
  if (fd_ >= 0) close(fd_);
  fd_ = fd;
  path_ = path;
  return ok_status();
}

Status CallRecordLog::reopen() {
  if (path_.empty()) return ok_status();
  return open(path_);
}

Status CallRecordLog::append(const std::string& line) {
  if (fd_ < 0) return make_error("call records file is not open");
  std::string out = line + "\n";
  ssize_t n = write(fd_, out.data(), out.size());
  if (n != static_cast<ssize_t>(out.size()))
    return make_error("call records " + path_ + ": " + (n < 0 ? strerror(errno) : "short write"));
  return ok_status();
}

}  // namespace sbc::controlplane

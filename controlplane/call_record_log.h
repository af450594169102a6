// The call records file: one JSON line per ended call, appended. reopen()
// (SIGHUP, `sbcctl reload`) lets logrotate move the file away and have a new
// one created, as with any daemon's log.
#pragma once

#include <string>

#include "common/result.h"

namespace sbc::controlplane {

class CallRecordLog {
 public:
  CallRecordLog() = default;
  ~CallRecordLog();
  CallRecordLog(const CallRecordLog&) = delete;
  CallRecordLog& operator=(const CallRecordLog&) = delete;

  Status open(const std::string& path);
  Status reopen();
  // One line; a newline is added. A failed write is reported, never fatal.
  Status append(const std::string& line);
  bool is_open() const { return fd_ >= 0; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
};

}  // namespace sbc::controlplane

// Hands out RTP/RTCP port pairs from one leg's media range: RTP on an even
// port, RTCP on the odd port above it (RFC 3550 11), next-fit so a port just
// released is not handed out again at once (late packets of the old call).
#pragma once

#include <cstdint>
#include <vector>

#include "common/result.h"

namespace sbc::dataplane {

class MediaPortAllocator {
 public:
  MediaPortAllocator(uint16_t first, uint16_t last);

  Result<uint16_t> allocate();  // the even port of a free pair
  void release(uint16_t port);  // idempotent
  bool in_use(uint16_t port) const;
  size_t capacity() const { return used_.size(); }
  size_t used() const { return used_count_; }

 private:
  uint32_t base_ = 0;       // first even port of the range
  std::vector<bool> used_;  // one entry per pair
  size_t next_ = 0;
  size_t used_count_ = 0;
};

}  // namespace sbc::dataplane

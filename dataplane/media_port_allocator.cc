#include "dataplane/media_port_allocator.h"

#include <string>

namespace sbc::dataplane {

MediaPortAllocator::MediaPortAllocator(uint16_t first, uint16_t last) {
  base_ = (first + 1u) & ~1u;
  // Pairs (p, p+1) that fit entirely inside [first, last].
  size_t pairs = last >= base_ + 1 ? (last - base_ + 1) / 2 : 0;
  used_.assign(pairs, false);
}

Result<uint16_t> MediaPortAllocator::allocate() {
  for (size_t i = 0; i < used_.size(); ++i) {
    size_t k = (next_ + i) % used_.size();
    if (!used_[k]) {
      used_[k] = true;
      ++used_count_;
      next_ = (k + 1) % used_.size();
      return static_cast<uint16_t>(base_ + 2 * k);
    }
  }
  return make_error("media port range exhausted (" + std::to_string(used_.size()) + " pairs)");
}

void MediaPortAllocator::release(uint16_t port) {
  if (port < base_ || (port - base_) % 2) return;
  size_t k = (port - base_) / 2;
  if (k < used_.size() && used_[k]) {
    used_[k] = false;
    --used_count_;
  }
}

bool MediaPortAllocator::in_use(uint16_t port) const {
  if (port < base_) return false;
  size_t k = (port - base_) / 2;
  return k < used_.size() && used_[k];
}

}  // namespace sbc::dataplane

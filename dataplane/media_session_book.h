// The control-side record of media sessions shared by the real and the fake
// dataplane: which legs exist, validation of a spec, port pairs per stream
// and side. It knows nothing of pinholes or packets.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/ip_address.h"
#include "common/result.h"
#include "dataplane/media_port_allocator.h"
#include "dataplane/media_session.h"

namespace sbc::dataplane {

struct MediaLeg {
  std::string name;
  Ipv4Address address;
  uint16_t first_port = 0;
  uint16_t last_port = 0;
};

class MediaSessionBook {
 public:
  struct Stream {
    MediaStreamSpec spec;
    int a_leg = -1;
    int b_leg = -1;
    MediaStreamPorts ports;
  };

  explicit MediaSessionBook(std::vector<MediaLeg> legs);

  int leg_index(const std::string& name) const;
  const std::vector<MediaLeg>& legs() const { return legs_; }

  // Validates and allocates ports for `specs`; all or nothing.
  Result<std::vector<Stream>> allocate(const std::vector<MediaStreamSpec>& specs);
  void release(const Stream& s);
  MediaSessionId next_id() { return ++last_id_; }

 private:
  std::vector<MediaLeg> legs_;
  std::vector<MediaPortAllocator> ports_;
  MediaSessionId last_id_ = 0;
};

MediaSession describe(MediaSessionId id, const std::vector<MediaSessionBook::Stream>& streams);

}  // namespace sbc::dataplane

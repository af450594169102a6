// The hosts the dataplane tests talk about, on the harness's two legs.
#pragma once

#include "tests/dataplane/packet_builder.h"

namespace sbc::dataplane::test {

inline const Mac kPhoneMac{0x02, 0x00, 0x00, 0x01, 0x00, 0x0b};
inline const Mac kCarrierMac{0x02, 0x00, 0x00, 0x02, 0x00, 0x0a};
inline const Mac kGatewayMac{0x02, 0x00, 0x00, 0x02, 0x00, 0xfe};
inline const Mac kStrangerMac{0x02, 0x00, 0x00, 0x01, 0x00, 0x63};

inline uint32_t access_ip() {
  return ip("198.18.1.1");
}
inline uint32_t core_ip() {
  return ip("198.18.2.1");
}
inline uint32_t phone_ip() {
  return ip("198.18.1.11");
}
inline uint32_t phone2_ip() {
  return ip("198.18.1.12");
}
inline uint32_t carrier_ip() {
  return ip("198.18.2.10");
}
inline uint32_t far_carrier_ip() {
  return ip("198.18.200.7");
}  // off-link: via the gateway

}  // namespace sbc::dataplane::test

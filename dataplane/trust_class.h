// How many trust classes the dataplane polices (per-class counters and
// policer parameters are fixed arrays sized by it).
#pragma once

namespace sbc::dataplane {

inline constexpr unsigned kMaxTrustClasses = 8;

}  // namespace sbc::dataplane

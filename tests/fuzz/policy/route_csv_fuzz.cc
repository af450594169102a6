// libFuzzer target: any bytes as a route CSV file, against a small policy,
// then routing on whatever loaded.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "policy/loader.h"
#include "policy/router.h"
#include "policy/section_readers.h"

namespace {

class AllUp : public sbc::policy::LiveState {
 public:
  bool registered(const sbc::policy::Peer&) const override { return true; }
  bool healthy(const sbc::policy::Peer&) const override { return true; }
  uint32_t channels_in_use(const sbc::policy::Peer&) const override { return 0; }
  bool cps_available(const sbc::policy::Peer&) const override { return true; }
  bool banned(const sbc::policy::Peer&) const override { return false; }
  bool overloaded() const override { return false; }
};

const sbc::policy::Policy& base() {
  static const sbc::policy::PolicyPtr p = [] {
    sbc::policy::LoadOptions o;
    o.allow_member_files = false;
    return sbc::policy::load_policy_text(R"(interfaces:
  - {name: core, address: 198.18.2.1/24, media_ports: 30000-39999}
peers:
  - {name: a, kind: trunk, leg: core, address: 198.18.2.10, groups: [g]}
  - {name: b, kind: trunk, leg: core, address: 198.18.2.20, manipulation: {outbound: {strip: 3}}}
)",
                                         "base.yaml", o)
        .policy;
  }();
  if (!p) __builtin_trap();
  return *p;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sbc::policy;
  Policy p = base();
  Diagnostics out;
  parse_route_csv(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.csv", p, out);
  p.build_indexes();
  AllUp live;
  for (const char* number : {"", "1", "4930", "+49", "*7#"})
    for (const auto& peer : p.peers) {
      RouteRequest req{&peer, number, "1"};
      auto d = route_call(p, live, req);
      if (d.route && d.candidates.size() != d.route->to.size()) __builtin_trap();
    }
  return 0;
}

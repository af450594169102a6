// libFuzzer target: any bytes as a policy file. The loader must answer with
// a policy or diagnostics, never crash, hang or blow up memory; when a policy
// loads, the decision functions must also run cleanly on it.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "policy/codec_filter.h"
#include "policy/loader.h"
#include "policy/peer_identification.h"
#include "policy/router.h"

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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sbc::policy;
  LoadOptions options;
  options.allow_member_files = false;  // never open files named by fuzz input
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  LoadResult r = load_policy_text(text, "fuzz.yaml", options);
  for (const auto& d : r.diagnostics) (void)d.to_string();
  if (!r.policy) return 0;
  const Policy& p = *r.policy;
  AllUp live;
  for (const char* number : {"", "0", "112", "4930123456", "+4930", "8123", "*72#"}) {
    for (const auto& peer : p.peers) {
      RouteRequest req{&peer, number, "100"};
      auto d = route_call(p, live, req);
      if (d.route && d.candidates.size() != d.route->to.size()) __builtin_trap();
      if (d.candidates.size() && d.candidates[0].peer == nullptr) __builtin_trap();
      (void)filter_codecs({{"PCMA", 8000, 8}, {"telephone-event", 8000, 101}}, peer.codecs,
                          peer.codecs);
    }
    RouteRequest anon{nullptr, number, ""};
    (void)route_call(p, live, anon);
  }
  for (const auto& leg : p.interfaces) {
    (void)identify_peer(p, {leg.name, leg.address.address, "1001"});
  }
  return 0;
}

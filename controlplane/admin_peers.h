// `sbcctl peers [--json]`: one row per peer of the policy with what an
// operator checks first when a trunk misbehaves: health (OPTIONS probing),
// channels in use against the cap, calls per second now against the CPS cap,
// the last failed call attempt (code, reason, which way, how long ago), and
// registration (phones; trunks that register to their carrier).
// Sbcd gathers the rows from its services; this file only renders them.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "controlplane/admin_protocol.h"
#include "controlplane/outbound_registrar.h"
#include "controlplane/peer_last_failure.h"

namespace sbc::controlplane {

// What a DNS name of a peer gives now (trunk_resolver.h): "dns" for its
// address, "registrar_dns" for the registrar it registers to.
struct PeerDnsView {
  std::string key, name, state;
  std::vector<std::string> addresses;  // "ip:port"
  struct Status {
    bool srv = false;
    std::string error;
    int64_t ttl_seconds = 0;
    double next_lookup_in_seconds = 0;
    uint64_t lookups_ok = 0, lookups_failed = 0;
  };
  std::optional<Status> status;  // none before the first lookup ended
};

struct PeerView {
  std::string name, kind, leg;
  std::string address;          // empty: none (a phone, found by its registration)
  std::string dns_state = "-";  // "-": not named by DNS
  std::vector<PeerDnsView> dns;
  std::string health;  // "-" (not probed), "unknown", or the prober's state
  std::optional<std::chrono::microseconds> probe_rtt;
  std::optional<uint64_t> probe_failures;
  std::string registration;  // "-", a phone's state, or "to carrier: ..."
  std::optional<OutboundAccountStatus> outbound;
  uint32_t channels_max = 0;  // 0: no cap
  uint64_t channels_in_use = 0;
  uint64_t calls_in_window = 0;  // calls started within the CPS window
  int window_seconds = 1;
  double cps_max = 0;  // 0: no cap
  std::optional<PeerFailure> last_failure;
};

admin::Reply peers_reply(const std::vector<PeerView>& peers, bool json,
                         std::chrono::system_clock::time_point now);

// "45s", "12m", "5h", "3d": how long ago, at a glance.
std::string ago_text(std::chrono::system_clock::duration d);

}  // namespace sbc::controlplane

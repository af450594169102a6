// sbcd's command line.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "controlplane/log.h"

namespace sbc::controlplane {

struct SbcdOptions {
  enum class Mode { run, check, version, help };
  Mode mode = Mode::run;
  std::string policy_file;
  bool strict = false;  // --check: warnings are errors
  std::string admin_socket = "/run/sbcd/admin.sock";
  // Group whose members may use sbcctl (socket mode 0660); empty: sbcd's
  // user only (mode 0600).
  std::string admin_group;
  bool debug_commands = false;  // `sbcctl debug stall` (tests of overload shedding)
  std::string metrics_listen = "127.0.0.1:9464";  // "off" disables the exposer
  // false: control-plane-only mode, SIP on kernel sockets bound to the leg
  // addresses, no DPDK (tests, and hosts without a dataplane).
  bool dataplane = true;
  // EAL options (FACTS.md); the legs' ports add -a/--no-pci themselves.
  std::string eal_args = "-l 0-1 --main-lcore 0 --no-huge -m 512 --no-shconf --no-telemetry";
  double media_idle_timeout_s = 30;     // no media either way: MediaIdle
  double media_one_way_timeout_s = 10;  // one side silent while the other talks: OneWay
  double neighbour_timeout_s = 30;      // a next hop unconfirmed by the kernel: removed
  // Exact media pinholes offered to each NIC at most (rte_flow); 0: none.
  uint32_t offload_pinhole_rules = 4096;
  // The event loop this late (s) sheds new non-emergency calls until it has
  // stayed under half of it for overload_hold_s (overload_detector.h); 0: never.
  double overload_lag_s = 0.5;
  double overload_hold_s = 5;
  // A call attempt with no provisional response in this time fails over to
  // the next candidate (not a policy timer yet: policy::Timers has none).
  // --failover-timeout: overrides the policy's timers.failover when given.
  std::optional<std::chrono::milliseconds> no_provisional_timeout;
  std::string call_records;  // JSON lines, one per ended call; empty: none
  log::Level log_level = log::Level::info;
  // Lines per event name per second before the rest are summed up; 0: no limit.
  unsigned log_rate_limit = 20;
  // Registrations persist here so a restart loses no phone.
  std::string registrations_db = "/var/lib/sbc/registrations.db";
  std::string realm = "sbc";  // digest realm and the domain of phones' AORs
  // Digest algorithms offered in challenges, in this order (RFC 8760: SHA-256
  // first). Some phones (and sipp) take the first challenge even when they
  // cannot compute it: offer md5 alone for them.
  bool digest_sha256 = true;
  bool digest_md5 = true;
  // Outbound registration (trunks with `register:`): the first retry after a
  // failure, doubling up to the second (Retry-After wins up to that cap).
  std::chrono::milliseconds outbound_retry_min{std::chrono::seconds(5)};
  std::chrono::milliseconds outbound_retry_max{std::chrono::minutes(5)};
  // Nameservers for trunks and registrars named by DNS (resolv.conf format;
  // re-read when it changes).
  std::string resolv_conf = "/etc/resolv.conf";
};

Result<SbcdOptions> parse_sbcd_options(const std::vector<std::string>& args);
std::string sbcd_usage();

}  // namespace sbc::controlplane

// Failed-authentication counting and ban decisions.
//
// Counts run per source address:port, per username and per whole address,
// each in a fixed window that starts at its first failure. Past a threshold:
//  - address:port  -> that address:port is banned;
//  - username      -> that username is banned (from everywhere: it catches a
//    password guessed from many addresses, at the price that an attacker can
//    lock a user out for ban_duration; set user_threshold 0 to turn it off);
//  - whole address -> the address is banned, but only when no live
//    registration uses it. A call centre puts hundreds of phones behind one
//    NAT address: one phone with a wrong password must cost that phone, not
//    the site.
// Memory is bounded: each counter table holds at most max_tracked entries,
// the oldest window evicted first.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/ip_address.h"
#include "controlplane/registrar/clock.h"

namespace sbc::registrar {

struct AuthFailureConfig {
  Seconds window{60};
  uint32_t source_threshold = 5;    // per address:port; 0 = off
  uint32_t user_threshold = 10;     // per username; 0 = off
  uint32_t address_threshold = 20;  // per whole address; 0 = off
  Seconds ban_duration{600};
  size_t max_tracked = 100'000;  // per counter table
};

enum class BanKind : uint8_t { kAddress, kAddressPort, kUsername };

std::string_view ban_kind_name(BanKind k);

struct Ban {
  BanKind kind;
  std::string key;  // "198.18.0.1", "198.18.0.1:5060", "alice"
  std::string reason;
  Time since;
  Time until;
};

class AuthFailureTracker {
 public:
  AuthFailureTracker(AuthFailureConfig config, const Clock& clock);

  // One failed authentication (wrong password or unknown user: the same).
  // address_in_use: LocationStore::address_in_use(address), asked by the
  // caller. Returns the bans this failure newly caused.
  std::vector<Ban> record_failure(Ipv4Address address, uint16_t port, std::string_view username,
                                  bool address_in_use);

  // A success clears that source's and that user's counts (a phone that
  // mistyped then got it right is not one step from a ban for a window).
  void record_success(Ipv4Address address, uint16_t port, std::string_view username);

  // The ban that applies to a request from address:port for username (empty
  // username: check the address only), if any. Checked before challenging.
  std::optional<Ban> banned(Ipv4Address address, uint16_t port,
                            std::string_view username = {}) const;

  // Operator actions (sbcctl bans / unban).
  std::vector<Ban> bans() const;  // live ones
  bool unban(BanKind kind, std::string_view key);
  void ban(BanKind kind, std::string key, std::string reason, Seconds duration);

  // Drops expired bans and finished windows; call from a timer.
  void sweep();

  size_t tracked_counters() const;

 private:
  struct Counter {
    Time start;
    uint32_t count = 0;
  };
  // Fixed-window counters with oldest-first eviction. The deque records
  // (key, window start) in start order; a record whose start no longer
  // matches the live counter is stale and skipped.
  class Counters {
   public:
    uint32_t add(const std::string& key, Time now, Seconds window, size_t cap);
    void clear(const std::string& key) { map_.erase(key); }
    void expire(Time now, Seconds window);
    size_t size() const { return map_.size(); }

   private:
    std::unordered_map<std::string, Counter> map_;
    std::deque<std::pair<std::string, Time>> order_;
  };

  std::optional<Ban> live_ban(BanKind kind, const std::string& key) const;

  AuthFailureConfig config_;
  const Clock& clock_;
  Counters by_source_;
  Counters by_user_;
  Counters by_address_;
  std::map<std::pair<BanKind, std::string>, Ban> bans_;
};

}  // namespace sbc::registrar

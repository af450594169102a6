// Digest nonces: issued, signed, expired and replay-checked here because
// Sofia-SIP's auth module checks signature and expiry only (FACTS.md).
//
// A nonce is 64 hex characters: 16 of issue time (unix seconds), 16 of a
// per-process sequence number and 32 of HMAC-SHA256(key, time|seq[|source
// address]) truncated to 128 bits. The key is random per process, so a
// restart invalidates every outstanding nonce (phones are re-challenged with
// stale=true and do not notice).
//
// Replay: every issued nonce is tracked with the highest nc seen. With
// qop=auth each new request must carry a higher nc; without qop (RFC 2069)
// a nonce is good for one request. Memory is bounded: at most max_tracked
// nonces, the oldest evicted first (sequence order is issue order). An
// evicted nonce with a good signature is answered "stale", never accepted,
// so eviction can cost a phone one extra round trip but never opens a replay.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory_resource>
#include <optional>
#include <string>
#include <string_view>

#include "controlplane/registrar/clock.h"

namespace sbc::registrar {

struct NonceConfig {
  Seconds lifetime{300};
  // Bind the nonce to the requester's IP address (not the port: a NAT may
  // change it between the challenge and the answer).
  bool bind_to_source = true;
  size_t max_tracked = 100'000;  // 74 bytes each, measured (perf/README.md)
};

enum class NonceVerdict {
  kValid,    // signed by us, fresh, nc higher than any seen: accept
  kStale,    // signed by us but expired or no longer tracked: 401 stale=true
  kReplay,   // nc not higher than one already accepted: refuse
  kInvalid,  // not ours (bad format, bad signature, other source, future time)
};

std::string_view nonce_verdict_name(NonceVerdict v);

using NonceKey = std::array<uint8_t, 32>;

class NonceTracker {
 public:
  // key: from random_bytes() in production; fixed in tests.
  NonceTracker(NonceConfig config, const Clock& clock, const NonceKey& key);

  // source_address: the requester's IP as text ("" if not bound).
  std::string issue(std::string_view source_address = {});

  // Verifies and, when valid, records nc. Call only after the digest
  // response itself was verified, so that a party without the password
  // cannot consume a legitimate client's nonce counts.
  // nc: the nonce count for qop=auth, nullopt for the no-qop form.
  NonceVerdict check(std::string_view nonce, std::optional<uint32_t> nc,
                     std::string_view source_address = {});

  // Forgets nonces past their lifetime (check() would call them stale anyway).
  void sweep();

  size_t tracked() const { return tracked_.size(); }

 private:
  struct Entry {
    Time issued;
    uint32_t max_nc = 0;  // UINT32_MAX once used without qop
  };
  std::string sign(uint64_t ts, uint64_t seq, std::string_view source) const;

  NonceConfig config_;
  const Clock& clock_;
  NonceKey key_;
  uint64_t next_seq_ = 1;
  // The entries in a pool of their own: one is made per challenge, between
  // the transaction memory Sofia frees 32 s later, and each kept a page of
  // that freed memory resident for the nonce's lifetime (perf/README.md,
  // "Memory per binding").
  std::pmr::unsynchronized_pool_resource pool_;
  std::pmr::map<uint64_t, Entry> tracked_{&pool_};  // ordered by sequence = by age
};

}  // namespace sbc::registrar

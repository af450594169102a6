#include "controlplane/registrar/nonce_tracker.h"

#include <charconv>

#include "controlplane/registrar/hash.h"

namespace sbc::registrar {
namespace {

constexpr size_t kNonceLength = 64;
// A nonce dated in the future beyond this is forged (or our clock jumped).
constexpr Seconds kMaxFutureSkew{5};

std::string hex64(uint64_t v) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, v >>= 4) out[static_cast<size_t>(i)] = kDigits[v & 0xf];
  return out;
}

std::optional<uint64_t> parse_hex64(std::string_view s) {
  uint64_t v = 0;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return std::nullopt;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 16);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

std::string_view nonce_verdict_name(NonceVerdict v) {
  switch (v) {
    case NonceVerdict::kValid:
      return "valid";
    case NonceVerdict::kStale:
      return "stale";
    case NonceVerdict::kReplay:
      return "replay";
    case NonceVerdict::kInvalid:
      return "invalid";
  }
  return "invalid";
}

NonceTracker::NonceTracker(NonceConfig config, const Clock& clock, const NonceKey& key)
    : config_(config), clock_(clock), key_(key) {
  if (config_.max_tracked == 0) config_.max_tracked = 1;
}

std::string NonceTracker::sign(uint64_t ts, uint64_t seq, std::string_view source) const {
  std::string msg = hex64(ts) + hex64(seq);
  if (config_.bind_to_source) msg.append("|").append(source);
  return to_hex(hmac_sha256(key_, msg).substr(0, 16));
}

std::string NonceTracker::issue(std::string_view source_address) {
  Time now = clock_.now();
  uint64_t seq = next_seq_++;
  auto ts = static_cast<uint64_t>(now.time_since_epoch().count());
  tracked_.emplace_hint(tracked_.end(), seq, Entry{now});
  while (tracked_.size() > config_.max_tracked) tracked_.erase(tracked_.begin());
  return hex64(ts) + hex64(seq) + sign(ts, seq, source_address);
}

NonceVerdict NonceTracker::check(std::string_view nonce, std::optional<uint32_t> nc,
                                 std::string_view source_address) {
  if (nonce.size() != kNonceLength) return NonceVerdict::kInvalid;
  auto ts = parse_hex64(nonce.substr(0, 16));
  auto seq = parse_hex64(nonce.substr(16, 16));
  if (!ts || !seq) return NonceVerdict::kInvalid;
  std::string expected = sign(*ts, *seq, source_address);
  if (!constant_time_equal(expected, nonce.substr(32))) return NonceVerdict::kInvalid;

  Time now = clock_.now();
  if (*ts > static_cast<uint64_t>((now + kMaxFutureSkew).time_since_epoch().count()))
    return NonceVerdict::kInvalid;
  Time issued{Seconds{static_cast<int64_t>(*ts)}};
  if (now >= issued + config_.lifetime) {
    tracked_.erase(*seq);
    return NonceVerdict::kStale;
  }
  auto it = tracked_.find(*seq);
  if (it == tracked_.end()) return NonceVerdict::kStale;  // evicted: never accept blind

  Entry& e = it->second;
  // Without qop there is no counter: the first use burns the nonce, and so
  // does it for any later qop=auth use of the same nonce.
  uint32_t effective = nc ? *nc : UINT32_MAX;
  if (effective <= e.max_nc || e.max_nc == UINT32_MAX) return NonceVerdict::kReplay;
  e.max_nc = effective;
  return NonceVerdict::kValid;
}

void NonceTracker::sweep() {
  Time now = clock_.now();
  while (!tracked_.empty() && now >= tracked_.begin()->second.issued + config_.lifetime)
    tracked_.erase(tracked_.begin());
}

}  // namespace sbc::registrar

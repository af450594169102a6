#include "policy/codec_filter.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <climits>

namespace sbc::policy {
namespace {

// Position of `name` in a preference list; INT_MAX when absent. An empty
// list has no preference, so everything ranks equal.
int rank(const std::vector<std::string>& list, const std::string& name) {
  for (size_t i = 0; i < list.size(); ++i)
    if (list[i] == name) return static_cast<int>(i);
  return INT_MAX;
}

bool allowed(const std::vector<std::string>& list, const std::string& name) {
  return list.empty() || rank(list, name) != INT_MAX;
}

}  // namespace

std::string normalize_codec_name(std::string_view name) {
  std::string out(name);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool is_signalling_codec(std::string_view n) {
  return n == "telephone-event" || n == "cn";
}

bool is_known_codec(std::string_view n) {
  static constexpr std::array<std::string_view, 20> kKnown = {
      "pcmu", "pcma", "g722", "g729",   "g726-32", "g723", "gsm",
      "ilbc", "opus", "amr",  "amr-wb", "speex",   "silk", "telephone-event",
      "cn",   "h264", "h263", "vp8",    "vp9",     "t38"};
  return std::find(kKnown.begin(), kKnown.end(), n) != kKnown.end();
}

std::vector<OfferedCodec> filter_codecs(const std::vector<OfferedCodec>& offer,
                                        const std::vector<std::string>& caller_allowed,
                                        const std::vector<std::string>& callee_allowed) {
  struct Ranked {
    int callee, caller;
    size_t offer;
  };
  std::vector<std::pair<Ranked, const OfferedCodec*>> media;
  std::vector<OfferedCodec> signalling;
  for (size_t i = 0; i < offer.size(); ++i) {
    const std::string n = normalize_codec_name(offer[i].name);
    if (is_signalling_codec(n)) {
      signalling.push_back(offer[i]);
      continue;
    }
    if (!allowed(caller_allowed, n) || !allowed(callee_allowed, n)) continue;
    media.push_back({{rank(callee_allowed, n), rank(caller_allowed, n), i}, &offer[i]});
  }
  if (media.empty()) return {};
  std::stable_sort(media.begin(), media.end(), [](const auto& a, const auto& b) {
    if (a.first.callee != b.first.callee) return a.first.callee < b.first.callee;
    if (a.first.caller != b.first.caller) return a.first.caller < b.first.caller;
    return a.first.offer < b.first.offer;
  });
  std::vector<OfferedCodec> out;
  out.reserve(media.size() + signalling.size());
  for (const auto& m : media) out.push_back(*m.second);
  out.insert(out.end(), signalling.begin(), signalling.end());
  return out;
}

}  // namespace sbc::policy

#include "policy/security.h"

#include <algorithm>
#include <cctype>

namespace sbc::policy {

const TrustClass* SecurityPolicy::find_trust_class(std::string_view name) const {
  for (const auto& c : trust_classes)
    if (c.name == name) return &c;
  return nullptr;
}

bool SecurityPolicy::is_scanner(std::string_view user_agent) const {
  auto lower = [](char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  };
  for (const auto& pattern : scanner_user_agents) {
    if (pattern.empty()) continue;
    auto it = std::search(user_agent.begin(), user_agent.end(), pattern.begin(), pattern.end(),
                          [&](char a, char b) { return lower(a) == lower(b); });
    if (it != user_agent.end()) return true;
  }
  return false;
}

std::vector<TrustClass> default_trust_classes() {
  // Sized for signalling: a registered phone sends a few requests a minute,
  // a carrier hundreds per second at peak.
  return {{"untrusted", 10, 20}, {"registered", 50, 100}, {"carrier", 1000, 2000}};
}

std::vector<std::string> default_scanner_user_agents() {
  return {"friendly-scanner", "sipvicious", "sipcli",          "sip-scan",
          "sundayddr",        "iWar",       "VaxSIPUserAgent", "pplsip"};
}

}  // namespace sbc::policy

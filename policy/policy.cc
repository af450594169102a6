#include "policy/policy.h"

namespace sbc::policy {

const Interface* Policy::find_interface(const std::string& name) const {
  for (const auto& i : interfaces)
    if (i.name == name) return &i;
  return nullptr;
}

const char* to_string(SipTransport t) {
  switch (t) {
    case SipTransport::udp:
      return "udp";
    case SipTransport::tcp:
      return "tcp";
    case SipTransport::tls:
      return "tls";
  }
  return "?";
}

}  // namespace sbc::policy

namespace sbc::policy {
bool same_interfaces(const Policy& a, const Policy& b) {
  return a.interfaces == b.interfaces;
}
}  // namespace sbc::policy

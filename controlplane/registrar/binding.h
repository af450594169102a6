// One registered contact of an address-of-record (RFC 3261 10).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "controlplane/registrar/clock.h"
#include "controlplane/registrar/source.h"

namespace sbc::registrar {

std::string binding_key(std::string_view contact, std::string_view instance_id,
                        const std::optional<uint32_t>& reg_id);

struct Binding {
  std::string contact;             // Contact URI as received
  std::string instance_id;         // RFC 5626 +sip.instance, "" if absent
  std::optional<uint32_t> reg_id;  // RFC 5626 reg-id
  std::string call_id;
  uint32_t cseq = 0;
  uint16_t q = 1000;  // q-value in thousandths; no q= counts as 1.0
  Time expires_at{};
  Time registered_at{};  // last refresh: breaks ties between equal q
  Source received;       // where the REGISTER came from
  bool behind_nat = false;
  std::string user_agent;

  // Identity within the AOR: the RFC 5626 instance (and reg-id flow) when
  // the phone sent one, so a re-registration from the same instance replaces
  // its binding even with a new Contact URI; else the Contact URI.
  std::string key() const { return binding_key(contact, instance_id, reg_id); }
  Seconds remaining(Time now) const { return expires_at > now ? expires_at - now : Seconds{0}; }
};

}  // namespace sbc::registrar

// The registrar's tunables (DESIGN.md: every protocol timer is configurable).
#pragma once

#include <cstddef>
#include <cstdint>

#include "common/result.h"

namespace sbc::registrar {

struct RegistrarConfig {
  uint32_t min_expires = 60;        // below this: 423 Interval Too Brief + Min-Expires
  uint32_t max_expires = 3600;      // above this: shortened to it
  uint32_t default_expires = 3600;  // neither Expires header nor expires param
  // Contacts behind NAT get at most this, so the phone refreshes often enough
  // to keep its NAT pinhole open. Must be >= min_expires.
  uint32_t nat_max_expires = 60;
  size_t max_contacts_per_aor = 10;  // more (in one request or in total): 403
  size_t max_bindings = 1'000'000;   // in the whole store: 503 beyond
};

Status validate(const RegistrarConfig& c);

}  // namespace sbc::registrar

// The policy: an immutable snapshot of everything an operator configures
// (DESIGN.md "Control plane"). Reload builds a new one and swaps the pointer;
// nothing mutates a loaded Policy.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "policy/interface.h"

namespace sbc::policy {

struct Policy {
  std::string source_file;
  std::vector<Interface> interfaces;

  const Interface* find_interface(const std::string& name) const;
};

using PolicyPtr = std::shared_ptr<const Policy>;

}  // namespace sbc::policy

namespace sbc::policy {
// Whether two policies describe the same legs: a reload may not change them
// (DESIGN.md "Operations": interfaces need a restart of the dataplane).
bool same_interfaces(const Policy& a, const Policy& b);
}  // namespace sbc::policy

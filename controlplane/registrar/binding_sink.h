// Receives every change the location store makes, in order. BindingStore
// implements it to persist changes write-behind.
#pragma once

#include <string_view>

#include "controlplane/registrar/binding.h"

namespace sbc::registrar {

class BindingSink {
 public:
  virtual ~BindingSink() = default;
  virtual void binding_upserted(std::string_view aor, const Binding& b) = 0;
  virtual void binding_removed(std::string_view aor, std::string_view key) = 0;
};

}  // namespace sbc::registrar

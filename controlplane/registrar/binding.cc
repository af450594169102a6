#include "controlplane/registrar/binding.h"

namespace sbc::registrar {

std::string binding_key(std::string_view contact, std::string_view instance_id,
                        const std::optional<uint32_t>& reg_id) {
  std::string key(instance_id.empty() ? "c:" : "i:");
  key += instance_id.empty() ? contact : instance_id;
  if (!instance_id.empty() && reg_id) key += ";reg-id=" + std::to_string(*reg_id);
  return key;
}

}  // namespace sbc::registrar

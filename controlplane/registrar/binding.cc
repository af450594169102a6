#include "controlplane/registrar/binding.h"

namespace sbc::registrar {

std::string binding_key(const std::string& contact, const std::string& instance_id,
                        const std::optional<uint32_t>& reg_id) {
  if (instance_id.empty()) return "c:" + contact;
  if (reg_id) return "i:" + instance_id + ";reg-id=" + std::to_string(*reg_id);
  return "i:" + instance_id;
}

}  // namespace sbc::registrar

#include "controlplane/registrar/binding.h"

#include "controlplane/registrar/registrar_config.h"

namespace sbc::registrar {

std::string binding_key(const std::string& contact, const std::string& instance_id,
                        const std::optional<uint32_t>& reg_id) {
  if (instance_id.empty()) return "c:" + contact;
  if (reg_id) return "i:" + instance_id + ";reg-id=" + std::to_string(*reg_id);
  return "i:" + instance_id;
}

Status validate(const RegistrarConfig& c) {
  if (c.min_expires == 0) return make_error("registrar: min_expires must be at least 1");
  if (c.max_expires < c.min_expires)
    return make_error("registrar: max_expires is below min_expires");
  if (c.default_expires < c.min_expires || c.default_expires > c.max_expires)
    return make_error("registrar: default_expires must lie within [min_expires, max_expires]");
  if (c.nat_max_expires < c.min_expires)
    return make_error("registrar: nat_max_expires is below min_expires");
  if (c.max_contacts_per_aor == 0) return make_error("registrar: max_contacts_per_aor is 0");
  if (c.max_bindings == 0) return make_error("registrar: max_bindings is 0");
  return ok_status();
}

}  // namespace sbc::registrar

#include "controlplane/registrar/registrar_config.h"

namespace sbc::registrar {

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

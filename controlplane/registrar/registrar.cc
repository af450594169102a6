#include "controlplane/registrar/registrar.h"

namespace sbc::registrar {

std::string_view aor_user(std::string_view aor) {
  auto colon = aor.find(':');
  if (colon == std::string_view::npos) return {};
  aor.remove_prefix(colon + 1);
  auto at = aor.find('@');
  if (at == std::string_view::npos) return {};
  return aor.substr(0, at);
}

Registrar::Registrar(DigestAuthenticator& auth, AuthFailureTracker& failures, LocationStore& store,
                     CredentialLookup lookup, AorPermission permission)
    : auth_(auth),
      failures_(failures),
      store_(store),
      lookup_(std::move(lookup)),
      permission_(std::move(permission)) {}

RegisterDecision Registrar::handle(RegisterInput in) {
  RegisterDecision d;
  const Source& src = in.request.received;

  // The claimed username is only known after parsing; the address checks
  // come first so a banned scanner costs no parsing at all.
  if (auto ban = failures_.banned(src.address, src.port)) {
    d.status = 0;
    d.reason = "banned: " + ban->reason;
    return d;
  }

  AuthResult a = auth_.verify(in.authorization, "REGISTER", src, lookup_);
  d.auth = a.verdict;
  d.username = a.username;
  if (!a.username.empty()) {
    if (auto ban = failures_.banned(src.address, src.port, a.username)) {
      d.status = 0;
      d.reason = "banned: " + ban->reason;
      return d;
    }
  }
  switch (a.verdict) {
    case AuthVerdict::kOk:
      break;
    case AuthVerdict::kMalformed:
      d.status = 400;
      d.reason = "Bad Authorization header: " + a.detail;
      return d;
    case AuthVerdict::kFailed:
      d.new_bans = failures_.record_failure(src.address, src.port, a.username,
                                            store_.address_in_use(src.address));
      [[fallthrough]];
    case AuthVerdict::kNoCredentials:
      d.status = 401;
      d.reason = "Unauthorized";
      d.www_authenticate = auth_.challenges(src, false);
      return d;
    case AuthVerdict::kStale:
    case AuthVerdict::kReplay:
      d.status = 401;
      d.reason = "Unauthorized";
      d.www_authenticate = auth_.challenges(src, true);
      return d;
  }
  failures_.record_success(src.address, src.port, a.username);

  bool allowed = permission_ ? permission_(a.username, in.request.aor)
                             : aor_user(in.request.aor) == a.username;
  if (!allowed) {
    d.status = 403;
    d.reason = "Forbidden: " + a.username + " may not register " + in.request.aor;
    return d;
  }

  d.nat = detect_nat(NatInput{in.via_host, in.via_port, in.contact_host, in.contact_port, src});
  in.request.behind_nat = d.nat.behind_nat;
  RegisterOutcome o = store_.apply(in.request);
  d.status = o.status;
  d.reason = o.ok() ? "OK" : o.reason;
  d.min_expires = o.min_expires;
  d.bindings = std::move(o.bindings);
  return d;
}

std::vector<ExpiredBinding> Registrar::sweep() {
  auth_.nonces().sweep();
  failures_.sweep();
  return store_.sweep();
}

}  // namespace sbc::registrar

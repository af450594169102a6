#include "policy/peer_settings.h"

namespace sbc::policy {
namespace {

template <class T>
void take(std::optional<T>& mine, const std::optional<T>& base) {
  if (!mine && base) mine = base;
}

}  // namespace

void PeerSettings::inherit(const PeerSettings& b) {
  // Exactly one secret applies: a peer that sets a password takes no HA1
  // from its template, and the other way round.
  const bool own_secret = password || ha1;
  take(kind, b.kind);
  take(leg, b.leg);
  take(groups, b.groups);
  take(auth_mode, b.auth_mode);
  take(username, b.username);
  if (!own_secret) {
    take(password, b.password);
    take(ha1, b.ha1);
  }
  take(trusted, b.trusted);
  take(host, b.host);
  take(port, b.port);
  take(transport, b.transport);
  take(codecs, b.codecs);
  take(channels, b.channels);
  take(cps, b.cps);
  take(inbound, b.inbound);
  take(outbound, b.outbound);
  take(probe_interval, b.probe_interval);
  take(probe_failures, b.probe_failures);
  take(probe_recovery, b.probe_recovery);
  take(registration, b.registration);
  take(latching, b.latching);
  take(srtp, b.srtp);
  take(telephone_event_pt, b.telephone_event_pt);
}

bool PeerSettings::empty() const {
  return !kind && !leg && !groups && !auth_mode && !username && !password && !ha1 && !trusted &&
         !host && !port && !transport && !codecs && !channels && !cps && !inbound && !outbound &&
         !probe_interval && !probe_failures && !probe_recovery && !registration && !latching &&
         !srtp && !telephone_event_pt;
}

}  // namespace sbc::policy

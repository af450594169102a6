#include "sip/sip_agent.h"

#include <sofia-sip/sip_tag.h>
#include <sofia-sip/tport_tag.h>
#include <sofia-sip/url.h>

namespace sbc::sip {

namespace {
std::string listen_url(Ipv4Address address, const ListenSpec& l) {
  const char* scheme = l.transport == "tls" ? "sips" : "sip";
  return std::string(scheme) + ":" + address.to_string() + ":" + std::to_string(l.port) +
         ";transport=" + l.transport;
}

// Sofia's verification policy for a TLS listener. Without
// TPTAG_CERTIFICATE Sofia would look in $HOME/.sip/auth: the policy names
// the directory instead, always.
unsigned tls_verify_policy(const ListenSpec& l) {
  unsigned policy = TPTLS_VERIFY_NONE;
  if (l.verify_servers) policy |= TPTLS_VERIFY_OUTGOING;
  if (l.verify_clients) policy |= TPTLS_VERIFY_INCOMING;
  return policy;
}
}  // namespace

Result<std::unique_ptr<SipAgent>> SipAgent::create(su_root_t* root, std::string leg_name,
                                                   Ipv4Address address,
                                                   const std::vector<ListenSpec>& listen,
                                                   RequestHandler handler) {
  if (listen.empty()) return make_error("leg " + leg_name + ": no SIP transport to listen on");
  std::unique_ptr<SipAgent> self(new SipAgent());
  self->leg_name_ = std::move(leg_name);
  self->handler_ = std::move(handler);
  for (const auto& l : listen) {
    if (l.transport != "udp" && l.transport != "tcp" && l.transport != "tls")
      return make_error("leg " + self->leg_name_ + ": unknown SIP transport '" + l.transport + "'");
    std::string url = listen_url(address, l);
    const bool tls = l.transport == "tls";
    if (!self->agent_) {
      // NTATAG_UA(1): the SBC is a user agent on every leg (a B2BUA): nta
      // retransmits our 2xx until the ACK, hands the ACK of a 2xx to the
      // INVITE's transaction, re-ACKs retransmitted 2xx and ACK+BYEs 2xx
      // from other forks.
      self->agent_ = nta_agent_create(
          root, URL_STRING_MAKE(url.c_str()), nullptr, nullptr, NTATAG_UA(1),
          NTATAG_SERVER_RPORT(1), TAG_IF(tls, TPTAG_CERTIFICATE(l.certificates.c_str())),
          TAG_IF(tls, TPTAG_TLS_VERIFY_POLICY(tls_verify_policy(l))), TAG_END());
      if (!self->agent_)
        return make_error("leg " + self->leg_name_ + ": cannot listen on " + url +
                          (tls ? " (address not on this host, port in use, or the certificate "
                                 "in " +
                                     l.certificates + " not usable)"
                               : " (address not on this host, or port in use)"));
    } else if (nta_agent_add_tport(self->agent_, URL_STRING_MAKE(url.c_str()),
                                   TAG_IF(tls, TPTAG_CERTIFICATE(l.certificates.c_str())),
                                   TAG_IF(tls, TPTAG_TLS_VERIFY_POLICY(tls_verify_policy(l))),
                                   TAG_END()) != 0) {
      return make_error(
          "leg " + self->leg_name_ + ": cannot listen on " + url +
          (tls ? " (port in use, or the certificate in " + l.certificates + " not usable)" : ""));
    }
    self->bound_.push_back(l.transport + ":" + address.to_string() + ":" + std::to_string(l.port));
  }
  self->default_leg_ = nta_leg_tcreate(self->agent_, &SipAgent::on_request,
                                       reinterpret_cast<nta_leg_magic_t*>(self.get()),
                                       NTATAG_NO_DIALOG(1), TAG_END());
  if (!self->default_leg_) return make_error("leg " + self->leg_name_ + ": nta_leg_tcreate failed");
  return self;
}

void SipAgent::set_timers(unsigned t1, unsigned t2, unsigned t4, unsigned timer_b) {
  nta_agent_set_params(agent_, NTATAG_SIP_T1(t1), NTATAG_SIP_T2(t2), NTATAG_SIP_T4(t4),
                       NTATAG_SIP_T1X64(timer_b), TAG_END());
}

SipAgent::~SipAgent() {
  if (default_leg_) nta_leg_destroy(default_leg_);
  if (agent_) nta_agent_destroy(agent_);
}

int SipAgent::on_request(nta_leg_magic_t* magic, nta_leg_t*, nta_incoming_t* irq,
                         const sip_t* sip) {
  auto* self = reinterpret_cast<SipAgent*>(magic);
  return self->handler_(irq, sip);
}

}  // namespace sbc::sip

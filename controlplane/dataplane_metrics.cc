#include "controlplane/dataplane_metrics.h"

#include <string>

namespace sbc::controlplane {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

MetricFamily family(const char* name, const char* help, MetricType type) {
  MetricFamily f;
  f.name = name;
  f.help = help;
  f.type = type;
  return f;
}

void add(MetricFamily& f, std::vector<ClientMetric::Label> labels, double v) {
  ClientMetric m;
  m.label = std::move(labels);
  if (f.type == MetricType::Counter)
    m.counter.value = v;
  else
    m.gauge.value = v;
  f.metric.push_back(std::move(m));
}

}  // namespace

std::vector<MetricFamily> dataplane_metric_families(const dataplane::DataplaneStats& s) {
  auto rx = family("sbc_dataplane_received_packets_total", "Frames received on a leg's port",
                   MetricType::Counter);
  auto tx = family("sbc_dataplane_transmitted_packets_total",
                   "Frames a leg's port accepted for sending (relayed media and the kernel's own)",
                   MetricType::Counter);
  auto rx_bytes = family("sbc_dataplane_received_bytes_total",
                         "Bytes of the frames received on a leg's port (Ethernet header "
                         "included, no FCS)",
                         MetricType::Counter);
  auto tx_bytes =
      family("sbc_dataplane_transmitted_bytes_total",
             "Bytes of the frames a leg's port accepted for sending", MetricType::Counter);
  auto relayed = family("sbc_dataplane_relayed_packets_total",
                        "Media packets received on a leg and relayed toward the other side",
                        MetricType::Counter);
  auto punted = family("sbc_dataplane_punted_packets_total",
                       "Frames received on a leg and handed to its exception TAP (ARP, ICMP, "
                       "signalling, fragments)",
                       MetricType::Counter);
  auto exception = family("sbc_dataplane_exception_packets_total",
                          "Frames the kernel sent on a leg's exception TAP, out through the port",
                          MetricType::Counter);
  auto drops = family("sbc_dataplane_dropped_packets_total",
                      "Frames received on a leg and dropped, by reason (dataplane/drop_reason.h)",
                      MetricType::Counter);
  auto link = family("sbc_dataplane_link_up",
                     "1 when the leg's link is up (for af_packet/af_xdp: the kernel interface)",
                     MetricType::Gauge);
  auto class_punted =
      family("sbc_dataplane_trust_class_punted_packets_total",
             "Frames that passed the police stage toward the control plane, by the source's trust "
             "class",
             MetricType::Counter);
  auto class_policed = family("sbc_dataplane_trust_class_policed_packets_total",
                              "Frames the police stage dropped (per-source rate or the untrusted "
                              "cap), by the source's trust class",
                              MetricType::Counter);
  for (const auto& l : s.legs) {
    add(rx, {{"leg", l.name}}, static_cast<double>(l.rx_packets));
    add(tx, {{"leg", l.name}}, static_cast<double>(l.tx_packets));
    add(rx_bytes, {{"leg", l.name}}, static_cast<double>(l.rx_bytes));
    add(tx_bytes, {{"leg", l.name}}, static_cast<double>(l.tx_bytes));
    add(relayed, {{"leg", l.name}}, static_cast<double>(l.relayed_packets));
    add(punted, {{"leg", l.name}}, static_cast<double>(l.punted_packets));
    add(exception, {{"leg", l.name}}, static_cast<double>(l.exception_packets));
    for (unsigned r = 0; r < dataplane::kDropReasonCount; ++r)
      add(drops, {{"leg", l.name}, {"reason", dataplane::kDropReasonNames[r]}},
          static_cast<double>(l.drops[r]));
    add(link, {{"leg", l.name}}, l.link_up ? 1 : 0);
    for (size_t k = 0; k < s.trust_classes.size() && k < dataplane::kMaxTrustClasses; ++k) {
      add(class_punted, {{"leg", l.name}, {"class", s.trust_classes[k]}},
          static_cast<double>(l.class_punted[k]));
      add(class_policed, {{"leg", l.name}, {"class", s.trust_classes[k]}},
          static_cast<double>(l.class_policed[k]));
    }
  }
  std::vector<MetricFamily> out{rx,     tx,        rx_bytes, tx_bytes, relayed,
                                punted, exception, drops,    link};
  // One sample, no label.
  auto scalar = [&out](const char* name, const char* help, MetricType type, double v) {
    out.push_back(family(name, help, type));
    add(out.back(), {}, v);
  };
  scalar("sbc_dataplane_events_lost_total",
         "Dataplane events (latched, idle, one-way) lost to a full event ring", MetricType::Counter,
         static_cast<double>(s.events_lost));
  scalar("sbc_dataplane_idle_sleeps_total",
         "Times a worker lcore slept because its queues were empty", MetricType::Counter,
         static_cast<double>(s.worker_sleeps));
  scalar("sbc_dataplane_pinholes",
         "Media pinholes installed (including those waiting for their RCU grace period)",
         MetricType::Gauge, static_cast<double>(s.pinholes));
  scalar("sbc_pinholes_installed_total",
         "Media pinholes installed (per stream, one per side for RTP and two more for RTCP "
         "without rtcp-mux); rate() is pinholes set up per second",
         MetricType::Counter, static_cast<double>(s.pinholes_installed));
  scalar("sbc_pinholes_removed_total",
         "Media pinholes removed (call ended, stream dropped by a re-INVITE)", MetricType::Counter,
         static_cast<double>(s.pinholes_removed));
  scalar("sbc_dataplane_deny_entries", "Live deny list entries (bans) the dataplane enforces",
         MetricType::Gauge, static_cast<double>(s.deny_entries));
  scalar("sbc_dataplane_trust_overrides",
         "Sources with a trust class of their own (promoted after authenticating)",
         MetricType::Gauge, static_cast<double>(s.trust_overrides));
  scalar("sbc_dataplane_neighbours", "Next-hop MAC addresses published to the workers",
         MetricType::Gauge, static_cast<double>(s.neighbours));
  scalar("sbc_dataplane_neighbour_changes_total",
         "Next-hop MACs republished because the kernel learned a new one", MetricType::Counter,
         static_cast<double>(s.neighbour_changes));
  scalar("sbc_dataplane_neighbours_expired_total",
         "Next hops removed after the kernel stopped confirming them", MetricType::Counter,
         static_cast<double>(s.neighbours_expired));
  auto class_sources =
      family("sbc_dataplane_trust_class_sources",
             "Sources with a trust class of their own (promoted after authenticating), by class: "
             "the population the police stage meters one by one",
             MetricType::Gauge);
  for (size_t k = 0; k < s.trust_classes.size() && k < dataplane::kMaxTrustClasses; ++k)
    add(class_sources, {{"class", s.trust_classes[k]}}, static_cast<double>(s.class_sources[k]));
  auto offload =
      family("sbc_dataplane_offload_active",
             "1 while a leg's NIC holds the rules of a kind (rte_flow); 0: software only",
             MetricType::Gauge);
  auto offload_rules = family("sbc_dataplane_offload_rules",
                              "rte_flow rules of a kind on a leg's NIC now", MetricType::Gauge);
  auto offload_cap = family("sbc_dataplane_offload_cap_hits_total",
                            "Rules of a kind not offered to a leg's NIC because its cap was "
                            "reached (--offload-pinhole-rules); they stay software only",
                            MetricType::Counter);
  auto offload_refused =
      family("sbc_dataplane_offload_refused",
             "1 when a leg's NIC refused a rule kind (software only from then on), with the "
             "PMD's reason",
             MetricType::Gauge);
  for (const auto& o : s.offload) {
    std::vector<ClientMetric::Label> kind{{"leg", o.leg}, {"rule_kind", o.rule_kind}};
    add(offload, kind, o.offloaded ? 1 : 0);
    add(offload_rules, kind, static_cast<double>(o.rules));
    add(offload_cap, kind, static_cast<double>(o.cap_hits));
    if (o.tried && !o.offloaded)
      add(offload_refused, {{"leg", o.leg}, {"rule_kind", o.rule_kind}, {"reason", o.reason}}, 1);
  }
  // A family with no sample is left out (the fake dataplane has no ports).
  if (!s.offload.empty()) {
    out.push_back(offload);
    out.push_back(offload_rules);
    out.push_back(offload_cap);
  }
  if (!offload_refused.metric.empty()) out.push_back(offload_refused);
  if (!s.trust_classes.empty()) {
    out.push_back(class_punted);
    out.push_back(class_policed);
    out.push_back(class_sources);
  }
  return out;
}

}  // namespace sbc::controlplane

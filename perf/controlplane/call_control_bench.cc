// The control plane's work per call, without the network (perf/README.md
// "Per-call control work"):
//  - SDP rewrite: parse an offer, keep the policy's codecs, point the stream
//    and o= at the SBC, print (what the B2BUA does to each offer and answer);
//  - one call's cycle through the B2BUA: INVITE, 180, 200 with SDP, ACK, BYE,
//    with media pinholes opened and closed on the fake dataplane and a
//    signalling layer that only hands out handles (no Sofia, no sockets);
// each against a baseline in the same run (a copy of the offer's text), and
// the ratios printed at the end: this machine is shared, so the ratio is
// the figure to read. Sofia's parsing and transactions (nta) are not in
// here; perf/calls/call_rate.py measures the whole thing in the lab.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <map>
#include <memory>
#include <string>

#include "controlplane/b2bua.h"
#include "dataplane/fake_dataplane.h"
#include "policy/loader.h"
#include "sip/sdp_session.h"

namespace sbc::controlplane {
namespace {

bool g_failed = false;

const char* kPolicy = R"(
interfaces:
  - {name: access, address: 198.18.1.1/24, media_ports: 20000-29999}
  - {name: core, address: 198.18.2.1/24, media_ports: 30000-39999}
peers:
  - {name: pbx, kind: trunk, leg: access, address: 198.18.1.11, auth: {mode: ip},
     codecs: [pcma, pcmu, telephone-event], probe: {interval: 0s}}
  - {name: carrier, kind: trunk, leg: core, address: 198.18.2.10, auth: {mode: ip},
     probe: {interval: 0s}}
routes:
  - {prefix: "1", from: pbx, to: carrier}
)";

// What sipp's UAC offers in the lab benchmark (perf/calls/uac_call_rate.xml),
// with G.729 added so the filter has one to drop.
const std::string kOffer =
    "v=0\r\no=phone 53655765 2353687637 IN IP4 198.18.1.11\r\ns=-\r\n"
    "c=IN IP4 198.18.1.11\r\nt=0 0\r\nm=audio 6000 RTP/AVP 8 0 18 101\r\n"
    "a=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:18 G729/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=ptime:20\r\na=sendrecv\r\n";
const std::string kAnswer =
    "v=0\r\no=carrier 53655765 2353687637 IN IP4 198.18.2.10\r\ns=-\r\n"
    "c=IN IP4 198.18.2.10\r\nt=0 0\r\nm=audio 6000 RTP/AVP 8 101\r\n"
    "a=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n";

void BM_SdpCopyBaseline(benchmark::State& state) {
  for (auto _ : state) {
    std::string copy = kOffer;
    benchmark::DoNotOptimize(copy.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SdpCopyBaseline);

void BM_SdpRewrite(benchmark::State& state) {
  const Ipv4Address sbc = *Ipv4Address::parse("198.18.2.1");
  const std::vector<uint8_t> keep{8, 0, 101};
  uint64_t version = 1;
  for (auto _ : state) {
    auto sdp = sip::SdpSession::parse(kOffer);
    if (!sdp.ok() || !sdp->keep_codecs(0, keep).ok() ||
        !sdp->set_endpoint(0, sbc, 30000, 30001).ok()) {
      state.SkipWithError("rewrite failed");
      g_failed = true;
      return;
    }
    sdp->set_origin("sbc", 42, ++version, sbc);
    auto text = sdp->print();
    benchmark::DoNotOptimize(text);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SdpRewrite);

// The signalling layer reduced to handing out B-side handles: what is
// measured is the B2BUA's own work (routing, admission, call state, SDP on
// both sides, pinholes, the call record).
struct HandleSignalling : CallSignalling {
  SipHandle next = 1'000'000;
  SipHandle last_b = 0;
  uint64_t answers = 0;
  void provisional_a(SipHandle, int, std::string_view) override {}
  // The cycle measured has no 100rel: reliable provisionals are never asked for.
  Result<SipHandle> reliable_provisional_a(SipHandle, int, std::string_view) override {
    return ++next;
  }
  void answer_prack(SipHandle, int, std::string_view) override {}
  void answer_a(SipHandle, std::string_view) override { ++answers; }
  void reject_a(SipHandle, const FinalAnswer&) override {}
  void challenge_a(SipHandle) override {}
  Result<SipHandle> invite_b(const OutgoingInvite&) override { return last_b = ++next; }
  void cancel_b(SipHandle) override {}
  void ack_b(SipHandle, std::string_view) override {}
  Result<SipHandle> prack_b(SipHandle, uint32_t, std::string_view) override { return ++next; }
  void bye(SipHandle) override {}
  Result<SipHandle> send_offer(SipHandle, OfferMethod, std::string_view) override { return ++next; }
  void ack_offer(SipHandle, std::string_view) override {}
  void answer_offer(SipHandle, int, std::string_view, std::string_view,
                    std::optional<int>) override {}
  void session_timer(SipHandle, const LegSessionTimer&) override {}
  Result<SipHandle> refresh_session(SipHandle, std::string_view) override { return ++next; }
  void release(SipHandle) override {}
};

// Timers armed by the call (no-answer, ring) are cancelled before they are
// due: kept in a map so cancel() costs what a real timer wheel's would.
struct HeldTimers : CallTimers {
  std::map<Id, std::function<void()>> armed;
  Id next = 1;
  Id after(std::chrono::milliseconds, std::function<void()> cb) override {
    armed.emplace(next, std::move(cb));
    return next++;
  }
  void cancel(Id id) override { armed.erase(id); }
};

void BM_CallCycle(benchmark::State& state) {
  auto loaded = policy::load_policy_text(kPolicy, "bench.yaml");
  if (!loaded.policy) {
    state.SkipWithError("policy did not load");
    g_failed = true;
    return;
  }
  policy::PolicyPtr policy = loaded.policy;
  ManualClock clock;
  HeldTimers timers;
  HandleSignalling sig;
  dataplane::FakeDataplane dp({{"access", *Ipv4Address::parse("198.18.1.1"), 20000, 29999},
                               {"core", *Ipv4Address::parse("198.18.2.1"), 30000, 39999}},
                              /*record_calls=*/false);
  Admission admission{clock};
  CallSettings settings;
  settings.no_provisional_timeout = std::chrono::milliseconds(4000);
  settings.ring_timeout = std::chrono::milliseconds(60000);
  B2bua b2bua(
      sig, dp, admission, timers, clock, settings, [&] { return policy; }, LiveFacts{});
  uint64_t records = 0;
  b2bua.on_call_ended([&](const CallRecord&) { ++records; });
  const Ipv4Address pbx = *Ipv4Address::parse("198.18.1.11");
  SipHandle a = 1;
  for (auto _ : state) {
    InboundCall in{a, "access", pbx, "1001", "6001", kOffer};
    b2bua.on_invite(in, "", false);
    const SipHandle b = sig.last_b;
    b2bua.on_b_response(b, 180, "");
    b2bua.on_b_response(b, 200, kAnswer);
    b2bua.on_a_ack(a);
    b2bua.on_bye(a);
    ++a;
    clock.advance(std::chrono::milliseconds(1));
  }
  const auto n = static_cast<uint64_t>(state.iterations());
  if (sig.answers != n || records != n || b2bua.active_calls() != 0 || dp.open_sessions() != 0) {
    state.SkipWithError("a call did not complete its cycle");
    g_failed = true;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CallCycle);

// Keeps each benchmark's CPU time per iteration for the ratios at the end:
// the mean over repetitions (--benchmark_repetitions), whether or not only
// the aggregates are reported.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& r : runs) {
      if (r.error_occurred || r.iterations <= 0) continue;
      Mean& m = ns_[r.run_name.function_name];
      if (r.run_type == Run::RT_Aggregate) {
        if (r.aggregate_name == "mean") m = {r.GetAdjustedCPUTime(), 1, true};
      } else if (!m.from_aggregate) {
        m.sum += r.GetAdjustedCPUTime();  // in the run's time unit (ns)
        ++m.n;
      }
    }
  }
  void print_ratios() const {
    auto get = [&](const char* name) {
      auto it = ns_.find(name);
      return it == ns_.end() || it->second.n == 0 ? 0.0 : it->second.sum / it->second.n;
    };
    const double copy = get("BM_SdpCopyBaseline"), rewrite = get("BM_SdpRewrite"),
                 call = get("BM_CallCycle");
    if (copy <= 0) return;
    std::printf("\nratios (CPU time, same run):\n");
    if (rewrite > 0)
      std::printf("  SDP rewrite / copy of the offer text: %.1f (%.2f us per rewrite)\n",
                  rewrite / copy, rewrite / 1000);
    if (call > 0)
      std::printf(
          "  call cycle / copy of the offer text:  %.1f (%.2f us per call, %.0f calls/s "
          "per core)\n",
          call / copy, call / 1000, 1e9 / call);
    if (rewrite > 0 && call > 0)
      std::printf("  call cycle / SDP rewrite:             %.1f\n", call / rewrite);
  }

 private:
  struct Mean {
    double sum = 0;
    int n = 0;
    bool from_aggregate = false;
  };
  std::map<std::string, Mean> ns_;
};

}  // namespace
}  // namespace sbc::controlplane

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  sbc::controlplane::RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.print_ratios();
  benchmark::Shutdown();
  return sbc::controlplane::g_failed ? 1 : 0;
}

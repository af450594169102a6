// Policy at scale: loading and validating a plan of N prefixes and P peers,
// and routing a dialled number in it. Targets (issue 4): under 1 us per
// lookup and under 2 s for load + validate with 100,000 prefixes and 10,000
// peers. Figures: perf/README.md "Policy".
#include <benchmark/benchmark.h>

#include <random>
#include <set>
#include <string>
#include <vector>

#include "policy/loader.h"
#include "policy/peer_identification.h"
#include "policy/router.h"

namespace {

using namespace sbc::policy;

// A generated plan: half the peers are phones in group `phones` (digest),
// half are trunks trusted by address; routes send random prefixes from the
// phones to one or two trunks, one in ten from any source.
std::string make_plan(int prefixes, int peers) {
  std::mt19937 rng(12345);
  std::string y = R"(interfaces:
  - {name: access, address: 198.18.1.1/24, media_ports: 20000-29999}
  - {name: core, address: 198.18.2.1/24, media_ports: 30000-39999}
peers:
)";
  const int trunks = peers / 2;
  for (int i = 0; i < trunks; ++i) {
    y += "  - {name: t" + std::to_string(i) +
         ", kind: trunk, leg: core, address: 198.19." + std::to_string(i / 250) + "." +
         std::to_string(i % 250 + 1) + ", channels: {max: 100, alert_at: 90}}\n";
  }
  for (int i = trunks; i < peers; ++i) {
    y += "  - {name: p" + std::to_string(i) + ", kind: phone, leg: access, groups: [phones], " +
         "auth: {username: u" + std::to_string(i) + ", password: \"Zq8#vL2m-Tr5pW" +
         std::to_string(i) + "\"}}\n";
  }
  y += "routes:\n";
  std::set<std::string> seen;
  std::uniform_int_distribution<int> len(4, 10), digit(0, 9), trunk(0, trunks - 1), ten(0, 9);
  while (static_cast<int>(seen.size()) < prefixes) {
    std::string p;
    const int l = len(rng);
    for (int k = 0; k < l; ++k) p += static_cast<char>('0' + digit(rng));
    if (!seen.insert(p).second) continue;
    const int first = trunk(rng), second = (first + 1 + trunk(rng) % (trunks - 1)) % trunks;
    y += "  - {prefix: \"" + p + "\"" + (ten(rng) == 0 ? "" : ", from_group: phones") +
         ", to: [t" + std::to_string(first) + ", t" + std::to_string(second) + "]}\n";
  }
  return y;
}

class AllUp : public LiveState {
 public:
  bool registered(const Peer&) const override { return true; }
  bool healthy(const Peer&) const override { return true; }
  uint32_t channels_in_use(const Peer&) const override { return 3; }
  bool cps_available(const Peer&) const override { return true; }
  bool banned(const Peer&) const override { return false; }
  bool overloaded() const override { return false; }
};

// A benchmark that cannot run must fail the smoke test, not pass silently.
bool g_failed = false;

void fail(benchmark::State& state, const LoadResult& r) {
  g_failed = true;
  std::string first = r.diagnostics.empty() ? "" : r.diagnostics[0].to_string();
  state.SkipWithError(("generated plan did not load: " + first).c_str());
}

LoadOptions no_files() {
  LoadOptions o;
  o.allow_member_files = false;
  return o;
}

void BM_LoadAndValidate(benchmark::State& state) {
  const std::string text = make_plan(static_cast<int>(state.range(0)), static_cast<int>(state.range(1)));
  size_t warnings = 0;
  for (auto _ : state) {
    auto r = load_policy_text(text, "plan.yaml", no_files());
    if (!r.policy) return fail(state, r);
    warnings = r.diagnostics.size();
    benchmark::DoNotOptimize(r.policy);
  }
  state.counters["bytes"] = static_cast<double>(text.size());
  state.counters["lint_findings"] = static_cast<double>(warnings);
}

// Random dialled numbers, most of which hit one of the plan's prefixes.
std::vector<std::string> make_numbers(int n) {
  std::mt19937 rng(777);
  std::uniform_int_distribution<int> digit(0, 9);
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) {
    std::string s;
    for (int k = 0; k < 12; ++k) s += static_cast<char>('0' + digit(rng));
    out.push_back(s);
  }
  return out;
}

void BM_RouteCall(benchmark::State& state) {
  auto r = load_policy_text(make_plan(static_cast<int>(state.range(0)), static_cast<int>(state.range(1))),
                            "plan.yaml", no_files());
  if (!r.policy) return fail(state, r);
  const Policy& p = *r.policy;
  const Peer* source = &p.peers.back();  // a phone
  const auto numbers = make_numbers(4096);
  AllUp live;
  size_t i = 0, routed = 0;
  for (auto _ : state) {
    RouteRequest req{source, numbers[i++ & 4095], "1001"};
    auto d = route_call(p, live, req);
    routed += d.outcome == RouteDecision::Outcome::routed;
    benchmark::DoNotOptimize(d);
  }
  state.counters["routed_share"] =
      static_cast<double>(routed) / static_cast<double>(state.iterations());
}

void BM_LongestMatchOnly(benchmark::State& state) {
  auto r = load_policy_text(make_plan(static_cast<int>(state.range(0)), static_cast<int>(state.range(1))),
                            "plan.yaml", no_files());
  if (!r.policy) return fail(state, r);
  const Policy& p = *r.policy;
  const auto numbers = make_numbers(4096);
  size_t i = 0;
  for (auto _ : state) {
    const int32_t m = p.route_table.longest_match(p.routes, numbers[i++ & 4095],
                                                  [](const Route&) { return true; });
    benchmark::DoNotOptimize(m);
  }
  state.counters["trie_nodes"] = static_cast<double>(p.route_table.node_count());
}

void BM_IdentifyPeer(benchmark::State& state) {
  auto r = load_policy_text(make_plan(static_cast<int>(state.range(0)), static_cast<int>(state.range(1))),
                            "plan.yaml", no_files());
  if (!r.policy) return fail(state, r);
  const Policy& p = *r.policy;
  const auto ip = *sbc::Ipv4Address::parse("198.19.3.7");
  size_t i = 0;
  for (auto _ : state) {
    // Alternate an IP-trusted trunk and a digest phone.
    auto id = (i++ & 1) ? identify_peer(p, {"core", ip, ""})
                        : identify_peer(p, {"access", ip, "u9999"});
    benchmark::DoNotOptimize(id);
  }
}

}  // namespace

BENCHMARK(BM_LoadAndValidate)->Args({1000, 100})->Args({100000, 10000})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RouteCall)->Args({1000, 100})->Args({100000, 10000});
BENCHMARK(BM_LongestMatchOnly)->Args({1000, 100})->Args({100000, 10000});
BENCHMARK(BM_IdentifyPeer)->Args({1000, 100})->Args({100000, 10000});
int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return g_failed ? 1 : 0;
}

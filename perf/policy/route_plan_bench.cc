// Policy at scale: loading and validating a plan of N prefixes and P peers,
// and routing a dialled number in it. Targets (issue 4): under 1 us per
// lookup and under 2 s for load + validate with 100,000 prefixes and 10,000
// peers. Figures: perf/README.md "Policy".
//
// Two forms of the same plan are loaded: everything in YAML, and the large
// parts in the CSV files a policy can name (phones as a template's members,
// routes as route_files), with the trunks in YAML.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "policy/loader.h"
#include "policy/peer_identification.h"
#include "policy/router.h"

namespace {

using namespace sbc::policy;

const char* kLegs = R"(interfaces:
  - {name: access, address: 198.18.1.1/24, media_ports: 20000-29999}
  - {name: core, address: 198.18.2.1/24, media_ports: 30000-39999}
)";

// Half the peers are phones in group `phones` (digest), half are trunks
// trusted by address; routes send random prefixes of 4-10 digits from the
// phones to two trunks, one in ten from any source.
struct Plan {
  std::string yaml;         // all in YAML
  std::string trunks_yaml;  // trunks only, naming the two CSV files
  std::string members_csv;  // the phones
  std::string routes_csv;   // the routes
  std::vector<std::string> prefixes;
};

Plan make_plan(int prefixes, int peers) {
  std::mt19937 rng(12345);
  Plan plan;
  std::string trunks, phones_yaml, routes_yaml;
  const int n_trunks = peers / 2;
  for (int i = 0; i < n_trunks; ++i)
    trunks += "  - {name: t" + std::to_string(i) + ", kind: trunk, leg: core, address: 198.19." +
              std::to_string(i / 250) + "." + std::to_string(i % 250 + 1) +
              ", channels: {max: 100, alert_at: 90}}\n";
  plan.members_csv = "name,username,password\n";
  for (int i = n_trunks; i < peers; ++i) {
    const std::string n = std::to_string(i), pw = "Zq8#vL2m-Tr5pW" + n;
    phones_yaml += "  - {name: p" + n + ", template: phone, auth: {username: u" + n +
                   ", password: \"" + pw + "\"}}\n";
    plan.members_csv += "p" + n + ",u" + n + "," + pw + "\n";
  }
  plan.routes_csv = "prefix,from_group,to\n";
  std::set<std::string> seen;
  std::uniform_int_distribution<int> len(4, 10), digit(0, 9), trunk(0, n_trunks - 1), ten(0, 9);
  while (static_cast<int>(seen.size()) < prefixes) {
    std::string p;
    const int l = len(rng);
    for (int k = 0; k < l; ++k) p += static_cast<char>('0' + digit(rng));
    if (!seen.insert(p).second) continue;
    plan.prefixes.push_back(p);
    const int first = trunk(rng), second = (first + 1 + trunk(rng) % (n_trunks - 1)) % n_trunks;
    const bool any = ten(rng) == 0;
    const std::string a = "t" + std::to_string(first), b = "t" + std::to_string(second);
    routes_yaml += "  - {prefix: \"" + p + "\"" + (any ? "" : ", from_group: phones") + ", to: [" +
                   a + ", " + b + "]}\n";
    plan.routes_csv += p + "," + (any ? "" : "phones") + "," + a + ";" + b + "\n";
  }
  const std::string phone_template =
      "templates:\n  - {name: phone, kind: phone, leg: access, groups: [phones]";
  plan.yaml = std::string(kLegs) + phone_template + "}\npeers:\n" + trunks + phones_yaml +
              "routes:\n" + routes_yaml;
  plan.trunks_yaml = std::string(kLegs) + phone_template +
                     ", members: {csv: phones.csv}}\npeers:\n" + trunks +
                     "route_files:\n  - csv: routes.csv\n";
  return plan;
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

LoadResult load_yaml(const Plan& plan) {
  LoadOptions o;
  o.allow_member_files = false;
  return load_policy_text(plan.yaml, "plan.yaml", o);
}

void BM_LoadAndValidateYaml(benchmark::State& state) {
  const Plan plan = make_plan(static_cast<int>(state.range(0)), static_cast<int>(state.range(1)));
  size_t findings = 0;
  for (auto _ : state) {
    auto r = load_yaml(plan);
    if (!r.policy) return fail(state, r);
    findings = r.diagnostics.size();
    benchmark::DoNotOptimize(r.policy);
  }
  state.counters["yaml_bytes"] = static_cast<double>(plan.yaml.size());
  state.counters["lint_findings"] = static_cast<double>(findings);
}

void BM_LoadAndValidateCsv(benchmark::State& state) {
  const Plan plan = make_plan(static_cast<int>(state.range(0)), static_cast<int>(state.range(1)));
  const auto dir =
      std::filesystem::temp_directory_path() / ("sbc_policy_bench_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "phones.csv") << plan.members_csv;
  std::ofstream(dir / "routes.csv") << plan.routes_csv;
  std::ofstream(dir / "plan.yaml") << plan.trunks_yaml;
  size_t peers = 0, routes = 0;
  for (auto _ : state) {
    // From the files, as sbcd loads it: reading them is part of the cost.
    auto r = load_policy_file((dir / "plan.yaml").string());
    if (!r.policy) {
      std::filesystem::remove_all(dir);
      return fail(state, r);
    }
    peers = r.policy->peers.size();
    routes = r.policy->routes.size();
    benchmark::DoNotOptimize(r.policy);
  }
  std::filesystem::remove_all(dir);
  state.counters["peers"] = static_cast<double>(peers);
  state.counters["routes"] = static_cast<double>(routes);
}

// Dialled numbers: three in four extend a prefix of the plan, the rest are
// random 12-digit numbers (which mostly find no route).
std::vector<std::string> make_numbers(const Plan& plan, int n) {
  std::mt19937 rng(777);
  std::uniform_int_distribution<int> digit(0, 9), four(0, 3);
  std::uniform_int_distribution<size_t> pick(0, plan.prefixes.size() - 1);
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) {
    std::string s = four(rng) ? plan.prefixes[pick(rng)] : "";
    while (s.size() < 12) s += static_cast<char>('0' + digit(rng));
    out.push_back(s);
  }
  return out;
}

void BM_RouteCall(benchmark::State& state) {
  const Plan plan = make_plan(static_cast<int>(state.range(0)), static_cast<int>(state.range(1)));
  auto r = load_yaml(plan);
  if (!r.policy) return fail(state, r);
  const Policy& p = *r.policy;
  const Peer* source = &p.peers.back();  // a phone
  const auto numbers = make_numbers(plan, 4096);
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
  const Plan plan = make_plan(static_cast<int>(state.range(0)), static_cast<int>(state.range(1)));
  auto r = load_yaml(plan);
  if (!r.policy) return fail(state, r);
  const Policy& p = *r.policy;
  const auto numbers = make_numbers(plan, 4096);
  size_t i = 0;
  for (auto _ : state) {
    const int32_t m = p.route_table.longest_match(p.routes, numbers[i++ & 4095],
                                                  [](const Route&) { return true; });
    benchmark::DoNotOptimize(m);
  }
  state.counters["trie_nodes"] = static_cast<double>(p.route_table.node_count());
}

void BM_IdentifyPeer(benchmark::State& state) {
  const Plan plan = make_plan(static_cast<int>(state.range(0)), static_cast<int>(state.range(1)));
  auto r = load_yaml(plan);
  if (!r.policy) return fail(state, r);
  const Policy& p = *r.policy;
  const auto ip = *sbc::Ipv4Address::parse("198.19.3.7");
  const std::string user = "u" + std::to_string(p.peers.size() - 1);
  size_t i = 0;
  for (auto _ : state) {
    // Alternate an IP-trusted trunk and a digest phone.
    auto id =
        (i++ & 1) ? identify_peer(p, {"core", ip, ""}) : identify_peer(p, {"access", ip, user});
    benchmark::DoNotOptimize(id);
  }
}

}  // namespace

BENCHMARK(BM_LoadAndValidateYaml)
    ->Args({1000, 100})
    ->Args({100000, 10000})
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_LoadAndValidateCsv)
    ->Args({1000, 100})
    ->Args({100000, 10000})
    ->Unit(benchmark::kMillisecond);
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

// Registrar benchmarks (perf/README.md "Registrar"):
//  - digest verification per second (the full DigestAuthenticator::verify
//    path: parse, lookup, hash, nonce check) and the bare response hash;
//  - location-store REGISTER refresh + lookup per second with --aors AORs
//    (default 100,000) already registered;
//  - one write-behind SQLite flush of 256 changed bindings (the default
//    batch), in a file under $TMPDIR: how long the event loop is blocked;
//  - heap bytes per binding and per tracked nonce, from mallinfo2() before
//    and after filling.
// The smoke run (suite perf-smoke) passes --aors=1000 and a tiny min time.
#include <benchmark/benchmark.h>
#include <malloc.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "controlplane/registrar/auth_params.h"
#include "controlplane/registrar/binding_store.h"
#include "controlplane/registrar/digest_authenticator.h"
#include "controlplane/registrar/location_store.h"

namespace sbc::registrar {
namespace {

size_t g_aors = 100'000;
constexpr const char* kRealm = "sbc.example";

std::string client_answer(const std::string& challenge, uint32_t nc) {
  auto ch = parse_auth_header(challenge);
  DigestCredentials c;
  c.username = "alice";
  c.realm = kRealm;
  c.nonce = *ch->find("nonce");
  c.uri = "sip:sbc.example";
  c.algorithm =
      iequals(*ch->find("algorithm"), "SHA-256") ? HashAlgorithm::kSha256 : HashAlgorithm::kMd5;
  c.qop_auth = true;
  char ncbuf[9];
  snprintf(ncbuf, sizeof ncbuf, "%08x", nc);
  c.nc = ncbuf;
  c.cnonce = "0a4f113b";
  std::string resp =
      digest_response(c, digest_ha1(c.algorithm, "alice", kRealm, "secret"), "REGISTER");
  return "Digest username=\"alice\", realm=\"sbc.example\", nonce=" + quote(c.nonce) +
         ", uri=\"sip:sbc.example\", algorithm=" + std::string(digest_algorithm_name(c.algorithm)) +
         ", response=" + quote(resp) + ", qop=auth, nc=" + c.nc + ", cnonce=\"0a4f113b\"";
}

// Full verify. Each header is used once with a fresh nonce-count while the
// pre-built ring lasts; afterwards the same headers come back as replays,
// which do the same work (parse, lookup, hash, HMAC) minus one map store.
// The `ok` counter says how many were real accepts.
void BM_DigestVerify(benchmark::State& state) {
  const bool sha = state.range(0) == 1;
  FakeClock clock;
  NonceKey key{};
  AuthConfig config{kRealm, NonceConfig{Seconds{300}, true, 100'000}, sha, !sha};
  DigestAuthenticator auth(config, clock, key);
  Source phone{Ipv4Address{0xC6120001}, 5060, Transport::kUdp};
  StoredCredential cred{"", digest_ha1(HashAlgorithm::kMd5, "alice", kRealm, "secret"),
                        digest_ha1(HashAlgorithm::kSha256, "alice", kRealm, "secret")};
  CredentialLookup lookup = [&](std::string_view, std::string_view) {
    return std::optional<StoredCredential>(cred);
  };
  std::vector<std::string> headers;
  for (int n = 0; n < 256; ++n) {
    std::string challenge = auth.challenges(phone)[0];
    for (uint32_t nc = 1; nc <= 64; ++nc) headers.push_back(client_answer(challenge, nc));
  }
  // Order: all nc=1, then all nc=2, ... so every nonce's counts rise.
  std::vector<std::string> ordered;
  for (size_t nc = 0; nc < 64; ++nc)
    for (size_t n = 0; n < 256; ++n) ordered.push_back(headers[n * 64 + nc]);
  size_t i = 0;
  int64_t ok = 0;
  for (auto _ : state) {
    AuthResult r = auth.verify(ordered[i], "REGISTER", phone, lookup);
    ok += r.verdict == AuthVerdict::kOk;
    if (++i == ordered.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["ok"] = static_cast<double>(ok);
}
BENCHMARK(BM_DigestVerify)->Arg(0)->Arg(1)->ArgName("sha256");

// Just the response computation and compare (two hashes), no parsing.
void BM_DigestResponseMatches(benchmark::State& state) {
  HashAlgorithm alg = state.range(0) == 1 ? HashAlgorithm::kSha256 : HashAlgorithm::kMd5;
  DigestCredentials c;
  c.username = "alice";
  c.realm = kRealm;
  c.nonce = std::string(64, 'a');
  c.uri = "sip:sbc.example";
  c.algorithm = alg;
  c.qop_auth = true;
  c.nc = "00000001";
  c.cnonce = "0a4f113b";
  std::string ha1 = digest_ha1(alg, "alice", kRealm, "secret");
  c.response = digest_response(c, ha1, "REGISTER");
  for (auto _ : state) benchmark::DoNotOptimize(digest_response_matches(c, ha1, "REGISTER"));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DigestResponseMatches)->Arg(0)->Arg(1)->ArgName("sha256");

RegisterRequest make_request(size_t i) {
  RegisterRequest r;
  r.aor = "sip:agent" + std::to_string(i) + "@sbc.example";
  r.call_id = "c" + std::to_string(i) + "@198.18.0.1";
  r.cseq = 1;
  r.expires_header = 3600;
  ContactSpec c;
  c.uri = "sip:agent" + std::to_string(i) + "@192.168.1.10:5060;transport=udp";
  r.contacts = {c};
  r.received = Source{Ipv4Address{0xC6120000 + static_cast<uint32_t>(i % 65536)},
                      static_cast<uint16_t>(1024 + i % 60000), Transport::kUdp};
  r.behind_nat = false;
  r.user_agent = "Bench/1.0";
  return r;
}

RegistrarConfig bench_config() {
  return RegistrarConfig{60, 3600, 3600, 60, 10, 10'000'000};
}

// REGISTER refresh of one AOR plus a lookup of another, with g_aors AORs
// registered. One item = one register + one lookup.
void BM_RegisterAndLookup(benchmark::State& state) {
  FakeClock clock;
  LocationStore store(bench_config(), clock);
  std::vector<RegisterRequest> reqs;
  reqs.reserve(g_aors);
  for (size_t i = 0; i < g_aors; ++i) {
    reqs.push_back(make_request(i));
    if (!store.apply(reqs.back()).ok()) state.SkipWithError("fill failed");
  }
  size_t i = 0;
  size_t j = g_aors / 2;
  for (auto _ : state) {
    RegisterRequest& r = reqs[i];
    ++r.cseq;
    benchmark::DoNotOptimize(store.apply(r));
    benchmark::DoNotOptimize(store.lookup(reqs[j].aor));
    if (++i == g_aors) i = 0;
    if (++j == g_aors) j = 0;
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["aors"] = static_cast<double>(store.aor_count());
}
BENCHMARK(BM_RegisterAndLookup);

// The event-loop cost of one write-behind batch: 256 refreshed bindings
// written in one transaction (WAL, synchronous=NORMAL). Real time, because
// the cost is I/O. One item = one binding written.
void BM_BindingStoreFlush(benchmark::State& state) {
  namespace fs = std::filesystem;
  const size_t batch = static_cast<size_t>(state.range(0));
  fs::path dir = fs::temp_directory_path() / ("sbc-registrar-bench-" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  {
    auto db = BindingStore::open({(dir / "bench.db").string(), batch * 4, 50});
    if (!db.ok()) {
      state.SkipWithError(db.error().message.c_str());
      return;
    }
    FakeClock clock;
    LocationStore store(bench_config(), clock, db->get());
    std::vector<RegisterRequest> reqs;
    for (size_t i = 0; i < std::min<size_t>(g_aors, 10'000); ++i) reqs.push_back(make_request(i));
    size_t next = 0;
    for (auto _ : state) {
      state.PauseTiming();
      for (size_t k = 0; k < batch; ++k) {
        RegisterRequest& r = reqs[next];
        ++r.cseq;
        benchmark::DoNotOptimize(store.apply(r));
        if (++next == reqs.size()) next = 0;
      }
      state.ResumeTiming();
      if (!(*db)->flush().ok()) state.SkipWithError("flush failed");
    }
    state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(batch));
  }
  fs::remove_all(dir);
}
BENCHMARK(BM_BindingStoreFlush)
    ->Arg(256)
    ->ArgName("batch")
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

// In the arenas and in blocks mmap'd on their own: the store's and the
// tracker's pools take large chunks, which glibc maps outside the arenas.
size_t heap_in_use() {
  struct mallinfo2 m = mallinfo2();
  return m.uordblks + m.hblkhd;
}

// Heap bytes per binding: fill an empty store with g_aors AORs of one
// binding each (AOR record, binding, indexes), measured with mallinfo2.
void BM_MemoryPerBinding(benchmark::State& state) {
  std::vector<RegisterRequest> reqs;
  reqs.reserve(g_aors);
  for (size_t i = 0; i < g_aors; ++i) reqs.push_back(make_request(i));
  double per_binding = 0;
  for (auto _ : state) {
    FakeClock clock;
    size_t before = heap_in_use();
    auto store = std::make_unique<LocationStore>(bench_config(), clock);
    for (const auto& r : reqs) benchmark::DoNotOptimize(store->apply(r));
    size_t after = heap_in_use();
    per_binding = static_cast<double>(after - before) / static_cast<double>(store->binding_count());
  }
  state.counters["bytes_per_binding"] = per_binding;
  state.counters["bindings"] = static_cast<double>(g_aors);
}
BENCHMARK(BM_MemoryPerBinding)->Iterations(1)->Unit(benchmark::kMillisecond);

// Heap bytes per tracked nonce (NonceConfig::max_tracked sizing).
void BM_MemoryPerNonce(benchmark::State& state) {
  double per_nonce = 0;
  for (auto _ : state) {
    FakeClock clock;
    NonceKey key{};
    size_t before = heap_in_use();
    auto tracker =
        std::make_unique<NonceTracker>(NonceConfig{Seconds{300}, true, g_aors}, clock, key);
    for (size_t i = 0; i < g_aors; ++i) benchmark::DoNotOptimize(tracker->issue("198.18.0.1"));
    per_nonce = static_cast<double>(heap_in_use() - before) / static_cast<double>(g_aors);
  }
  state.counters["bytes_per_nonce"] = per_nonce;
}
BENCHMARK(BM_MemoryPerNonce)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace sbc::registrar

int main(int argc, char** argv) {
  // Our own flag first; Google Benchmark rejects flags it does not know.
  std::vector<char*> rest;
  for (int i = 0; i < argc; ++i) {
    if (std::strncmp(argv[i], "--aors=", 7) == 0)
      sbc::registrar::g_aors = std::strtoul(argv[i] + 7, nullptr, 10);
    else
      rest.push_back(argv[i]);
  }
  if (sbc::registrar::g_aors == 0) sbc::registrar::g_aors = 1;
  int n = static_cast<int>(rest.size());
  benchmark::Initialize(&n, rest.data());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

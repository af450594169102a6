// The location store's memory against the real allocator: what sbcd saw.
// Each REGISTER allocates about 10 KB of Sofia transaction memory that is
// freed 32 s later; bindings allocated from the general heap between those
// blocks kept their pages resident after the frees and a malloc_trim (about
// 9 KB of RSS per binding, perf/README.md "Memory per binding"). The store's
// own pool keeps them apart.
#include <malloc.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "controlplane/heap_trim.h"
#include "controlplane/registrar/location_store.h"

namespace sbc::registrar {
namespace {

TEST(LocationStoreMemory, BindingsDoNotPinTheFreedMemoryOfTheRequestsAroundThem) {
  constexpr size_t kPhones = 20'000;
  constexpr size_t kTransient = 4, kTransientSize = 2'600;  // ~10 KB a REGISTER, as Sofia's
  FakeClock clock;
  RegistrarConfig config{60, 3600, 1800, 120, 4, kPhones * 2};
  auto store = std::make_unique<LocationStore>(config, clock);
  std::vector<void*> transient;
  transient.reserve(kPhones * kTransient);
  malloc_trim(0);
  size_t before = controlplane::HeapTrim::resident_bytes();
  ASSERT_GT(before, 0u);
  for (size_t i = 0; i < kPhones; ++i) {
    for (size_t k = 0; k < kTransient; ++k) {
      transient.push_back(std::malloc(kTransientSize));
      ASSERT_NE(transient.back(), nullptr);
      std::memset(transient.back(), 1, kTransientSize);
    }
    RegisterRequest r;
    r.aor = "sip:" + std::to_string(100000 + i) + "@sbc";
    r.call_id = "1-2345@198.18.1.11-" + std::to_string(i);
    r.cseq = 2;
    r.expires_header = 3600;
    r.received =
        Source{Ipv4Address{0xC6120000u + static_cast<uint32_t>(i % 250)}, 5060, Transport::kUdp};
    ContactSpec c;
    c.uri = "sip:" + std::to_string(100000 + i) + "@198.18.1.11:5060;transport=udp";
    r.contacts.push_back(c);
    ASSERT_TRUE(store->apply(r).ok());
  }
  for (void* p : transient) std::free(p);
  malloc_trim(0);
  size_t after = controlplane::HeapTrim::resident_bytes();
  ASSERT_EQ(store->binding_count(), kPhones);
  double per_binding = static_cast<double>(after > before ? after - before : 0) / kPhones;
  std::printf("resident growth per binding after the frees and a trim: %.0f bytes\n", per_binding);
  // The store itself uses about 600 B a binding (bench_registrar); from the
  // general heap this was over 4 KB (a page pinned per binding or more).
  EXPECT_LT(per_binding, 1500.0) << before << " -> " << after << " bytes resident";
}

}  // namespace
}  // namespace sbc::registrar

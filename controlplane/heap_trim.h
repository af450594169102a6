// Gives back to the kernel the heap glibc keeps after a burst of signalling.
//
// Sofia keeps every completed SIP transaction, request and answer, about
// 10 KB, for 64*T1 (32 s) to absorb retransmissions; a burst of REGISTERs or
// calls grows the heap by rate x 32 s x 10 KB. When they are freed, glibc
// returns memory to the kernel only from the top of the heap, and anything
// still live above the freed space (a binding, a call) pins the rest until
// malloc_trim() is called. Measured: 20,000 phones registering at 2,000/s
// left sbcd at 447 MB resident with 28 MB of it in use; malloc_trim brought
// it to 52 MB (perf/README.md, "Memory per binding").
//
// So the loop checks every `interval` how much of the process is resident
// but not in use by malloc's callers (resident minus allocated bytes), and
// trims when that grew by `threshold` since the last trim (or the start).
// Free bytes alone are no trigger: trimmed chunks stay free, and every check
// would trim again, a madvise per free chunk. Resident memory that is not
// malloc's (DPDK's memory, mapped files) counts as idle too: as it is touched
// it can cause a needless trim per `threshold` it grows by, a walk of the
// free lists each. Measured cost of a trim that gave back 200 MB: 39-56 ms of
// the event loop. Trimming only returns pages no live block
// touches: long-lived state that is allocated one small block per request
// (the location store, the nonce tracker) keeps its own pools so it does not
// pin freed pages (controlplane/registrar/location_store.h).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

#include "common/result.h"
#include "controlplane/event_loop.h"

namespace sbc::controlplane {

struct HeapTrimConfig {
  std::chrono::milliseconds interval{10'000};
  size_t threshold = 32u << 20;  // idle resident bytes before a trim is worth its cost
};

struct HeapTrimCounters {
  uint64_t checks = 0, trims = 0;
  uint64_t released_bytes = 0;  // resident bytes the trims gave back
};

class HeapTrim {
 public:
  // The allocator's side, replaceable in tests: bytes allocated (in use)
  // through malloc, the process's resident bytes, and the trim itself.
  struct Heap {
    std::function<size_t()> in_use_bytes;
    std::function<size_t()> resident_bytes;
    std::function<void()> trim;
  };
  static Heap glibc();
  // Resident bytes of this process (/proc/self/statm), 0 if unreadable.
  static size_t resident_bytes();

  HeapTrim(HeapTrimConfig config, Heap heap = glibc());

  // Starts the periodic check on the loop; the timer goes with this object.
  Status start(EventLoop& loop);
  ~HeapTrim();
  HeapTrim(const HeapTrim&) = delete;
  HeapTrim& operator=(const HeapTrim&) = delete;

  // One check; true if it trimmed.
  bool check();
  const HeapTrimCounters& counters() const { return counters_; }

 private:
  HeapTrimConfig config_;
  Heap heap_;
  HeapTrimCounters counters_;
  size_t idle() const;  // resident bytes not in use
  size_t idle_after_trim_ = 0;
  EventLoop* loop_ = nullptr;
  EventLoop::TimerId timer_ = -1;
};

}  // namespace sbc::controlplane

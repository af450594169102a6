#include "controlplane/heap_trim.h"

#include <malloc.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "controlplane/log.h"

namespace sbc::controlplane {

HeapTrim::Heap HeapTrim::glibc() {
  // mallinfo2 sums every arena: uordblks is what callers hold inside them,
  // hblkhd what they hold in blocks mmap'd on their own.
  return {[] {
            struct mallinfo2 m = mallinfo2();
            return static_cast<size_t>(m.uordblks + m.hblkhd);
          },
          &HeapTrim::resident_bytes, [] { malloc_trim(0); }};
}

size_t HeapTrim::resident_bytes() {
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (!f) return 0;
  unsigned long size = 0, resident = 0;
  int n = std::fscanf(f, "%lu %lu", &size, &resident);
  std::fclose(f);
  return n == 2 ? resident * static_cast<size_t>(sysconf(_SC_PAGESIZE)) : 0;
}

HeapTrim::HeapTrim(HeapTrimConfig config, Heap heap)
    : config_(config), heap_(std::move(heap)), idle_after_trim_(idle()) {}

size_t HeapTrim::idle() const {
  size_t resident = heap_.resident_bytes(), in_use = heap_.in_use_bytes();
  return resident > in_use ? resident - in_use : 0;
}

HeapTrim::~HeapTrim() {
  if (loop_ && timer_ >= 0) loop_->cancel(timer_);
}

Status HeapTrim::start(EventLoop& loop) {
  auto t = loop.every(config_.interval, [this] { check(); });
  if (!t) return t.error();
  loop_ = &loop;
  timer_ = *t;
  return ok_status();
}

bool HeapTrim::check() {
  ++counters_.checks;
  size_t idle_before = idle();
  if (idle_before < idle_after_trim_ + config_.threshold) return false;
  size_t before = heap_.resident_bytes();
  auto t0 = std::chrono::steady_clock::now();
  heap_.trim();
  auto took = std::chrono::steady_clock::now() - t0;
  size_t after = heap_.resident_bytes();
  idle_after_trim_ = idle();
  ++counters_.trims;
  if (before > after) counters_.released_bytes += before - after;
  log::debug(
      "heap_trimmed",
      {{"idle_mb", std::to_string(idle_before >> 20)},
       {"resident_mb_before", std::to_string(before >> 20)},
       {"resident_mb_after", std::to_string(after >> 20)},
       {"took_us",
        std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(took).count())}});
  return true;
}

}  // namespace sbc::controlplane

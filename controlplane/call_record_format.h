// How an ended call is presented outside the process: its outcome as a
// bounded metric label, and its record as one JSON line for the call records
// file (billing, troubleshooting). Pure functions over CallRecord.
#pragma once

#include <chrono>
#include <string>

#include "controlplane/call.h"

namespace sbc::controlplane {

// One of: answered, cancelled, busy, not_found, no_answer, unavailable,
// rejected, forbidden (docs/metrics.md `outcome`).
const char* call_outcome_label(const CallRecord& r);

// The record as one line of JSON (no newline). Monotonic times become wall
// clock through the pair (mono_now, wall_now) taken together.
std::string call_record_json(const CallRecord& r, MonoTime mono_now,
                             std::chrono::system_clock::time_point wall_now);

}  // namespace sbc::controlplane

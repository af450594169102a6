#include "controlplane/call_record_format.h"

#include <ctime>

#include "controlplane/json_writer.h"

namespace sbc::controlplane {
namespace {

std::string iso_time_ms(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  auto ms = duration_cast<milliseconds>(t.time_since_epoch()).count();
  std::time_t s = static_cast<std::time_t>(ms / 1000);
  tm utc;
  gmtime_r(&s, &utc);
  char buf[40];
  size_t n = strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &utc);
  snprintf(buf + n, sizeof buf - n, ".%03dZ", static_cast<int>(ms % 1000));
  return buf;
}

double seconds_between(MonoTime a, MonoTime b) {
  return std::chrono::duration<double>(b - a).count();
}

}  // namespace

const char* call_outcome_label(const CallRecord& r) {
  if (r.answered) return "answered";
  int s = r.final_status;
  if (s == 487) return "cancelled";
  if (s == 486 || s == 600) return "busy";
  if (s == 404 || s == 484 || s == 604) return "not_found";
  if (s == 408 || s == 480) return "no_answer";
  if (s == 401 || s == 403 || s == 407) return "forbidden";
  if (s >= 500 && s < 600) return "unavailable";
  return "rejected";
}

std::string call_record_json(const CallRecord& r, MonoTime mono_now,
                             std::chrono::system_clock::time_point wall_now) {
  auto wall = [&](MonoTime t) {
    return wall_now - std::chrono::duration_cast<std::chrono::system_clock::duration>(mono_now - t);
  };
  JsonWriter w;
  w.begin_object();
  w.key("id").value(static_cast<uint64_t>(r.id));
  w.key("start").value(iso_time_ms(wall(r.setup)));
  w.key("end").value(iso_time_ms(wall(r.end)));
  w.key("source_peer").value(r.source_peer);
  w.key("destination_peer").value(r.destination_peer);
  w.key("called_in").value(r.called_in);
  w.key("caller_in").value(r.caller_in);
  w.key("called_out").value(r.called_out);
  w.key("caller_out").value(r.caller_out);
  w.key("answered").value(r.answered);
  if (r.answered) {
    w.key("answer").value(iso_time_ms(wall(r.answer)));
    w.key("duration_seconds").value(seconds_between(r.answer, r.end));
  }
  w.key("setup_seconds").value(seconds_between(r.setup, r.answered ? r.answer : r.end));
  w.key("final_status").value(r.final_status);
  w.key("outcome").value(call_outcome_label(r));
  w.key("ended_by").value(r.ended_by);
  if (!r.session_timer_leg.empty()) w.key("session_timer_leg").value(r.session_timer_leg);
  w.key("attempts").begin_array();
  for (const auto& a : r.attempts) w.value(a);
  w.end_array();
  w.end_object();
  return w.str();
}

}  // namespace sbc::controlplane

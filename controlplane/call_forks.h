// The callee's side of one INVITE may fork (a proxy or a PBX rings several
// phones, RFC 3261 12.1.2 and 13.2.2.4): provisional responses with different
// To tags are several early dialogs, the first 2xx wins and becomes the
// call's B dialog, and nothing after it changes the call. Pure: the nta layer
// asks it about each response to the INVITE. A 2xx from another fork never
// gets this far: nta (a UA agent, NTATAG_UA) ACKs it and hangs it up itself.
#pragma once

#include <set>
#include <string>
#include <string_view>

namespace sbc::controlplane {

class CallForks {
 public:
  enum class Verdict {
    relay,    // to the call: a provisional response or a failure before any answer
    confirm,  // the first 2xx: the call's dialog, with this To tag
    ignore,   // after the answer: a retransmission, a late provisional or failure
  };

  Verdict on_response(int status, std::string_view to_tag);

  // Distinct To tags seen in responses (the early dialogs, the winner included).
  size_t dialogs() const { return tags_.size(); }
  const std::string& winner() const { return winner_; }

 private:
  std::set<std::string, std::less<>> tags_;
  std::string winner_;
  bool answered_ = false;
};

}  // namespace sbc::controlplane

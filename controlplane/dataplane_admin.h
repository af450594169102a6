// Admin commands over the Dataplane interface (works with the fake too):
//   media open A_LEG A_IP:PORT B_LEG B_IP:PORT [--latch strict|ip|any] [--mux]
//   media update ID A_IP:PORT B_IP:PORT
//   media close ID
//   media list | media stats ID
// `media open` is the test hook that opens a media session until the B2BUA
// does it from SDP; operators can use it to anchor a stream by hand.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "controlplane/admin_protocol.h"
#include "dataplane/dataplane.h"

namespace sbc::controlplane {

class DataplaneAdmin {
 public:
  explicit DataplaneAdmin(dataplane::Dataplane& dp) : dp_(dp) {}
  admin::Reply media(const std::vector<std::string>& args);

 private:
  dataplane::Dataplane& dp_;
  std::map<dataplane::MediaSessionId, dataplane::MediaSessionSpec> open_;
};

}  // namespace sbc::controlplane

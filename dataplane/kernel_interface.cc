#include "dataplane/kernel_interface.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>

namespace sbc::dataplane {
namespace {

sockaddr_in inet(uint32_t host_order) {
  sockaddr_in s{};
  s.sin_family = AF_INET;
  s.sin_addr.s_addr = htonl(host_order);
  return s;
}

Status ioctl_error(const char* what, const std::string& ifname) {
  return make_error(std::string(what) + " on " + ifname + ": " + std::strerror(errno));
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

Status configure_kernel_address(const std::string& ifname, const Ipv4Prefix& address,
                                const std::optional<Ipv4Address>& gateway) {
  if (ifname.size() >= IFNAMSIZ) return make_error("interface name too long: " + ifname);
  Fd s(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (s.get() < 0) return make_error(std::string("socket: ") + std::strerror(errno));
  ifreq r{};
  std::memcpy(r.ifr_name, ifname.c_str(), ifname.size());
  sockaddr_in a = inet(address.address.value);
  std::memcpy(&r.ifr_addr, &a, sizeof a);
  if (ioctl(s.get(), SIOCSIFADDR, &r) < 0) return ioctl_error("SIOCSIFADDR", ifname);
  sockaddr_in m = inet(address.mask());
  std::memcpy(&r.ifr_netmask, &m, sizeof m);
  if (ioctl(s.get(), SIOCSIFNETMASK, &r) < 0) return ioctl_error("SIOCSIFNETMASK", ifname);
  if (ioctl(s.get(), SIOCGIFFLAGS, &r) < 0) return ioctl_error("SIOCGIFFLAGS", ifname);
  r.ifr_flags |= IFF_UP | IFF_RUNNING;
  if (ioctl(s.get(), SIOCSIFFLAGS, &r) < 0) return ioctl_error("SIOCSIFFLAGS", ifname);
  // No router solicitations, DAD or MLD from the TAP: the dataplane would
  // only drop them as unsupported on the way out... and in.
  std::ofstream(("/proc/sys/net/ipv6/conf/" + ifname + "/disable_ipv6").c_str()) << "1\n";
  if (gateway) {
    rtentry rt{};
    sockaddr_in dst = inet(0), gw = inet(gateway->value), mask = inet(0);
    std::memcpy(&rt.rt_dst, &dst, sizeof dst);
    std::memcpy(&rt.rt_gateway, &gw, sizeof gw);
    std::memcpy(&rt.rt_genmask, &mask, sizeof mask);
    rt.rt_flags = RTF_UP | RTF_GATEWAY;
    std::string dev = ifname;
    rt.rt_dev = dev.data();
    if (ioctl(s.get(), SIOCADDRT, &rt) < 0 && errno != EEXIST)
      return ioctl_error("SIOCADDRT (default route)", ifname);
  }
  return ok_status();
}

std::optional<bool> kernel_link_up(const std::string& ifname) {
  std::ifstream f("/sys/class/net/" + ifname + "/operstate");
  std::string state;
  if (!(f >> state)) return std::nullopt;
  return state == "up" || state == "unknown";
}

std::string vdev_kernel_interface(std::string_view devargs) {
  size_t p = 0;
  while ((p = devargs.find("iface=", p)) != std::string_view::npos) {
    if (p == 0 || devargs[p - 1] == ',') {
      auto v = devargs.substr(p + 6);
      return std::string(v.substr(0, v.find(',')));
    }
    p += 6;
  }
  return {};
}

std::vector<KernelNeighbour> parse_proc_net_arp(std::string_view text) {
  std::vector<KernelNeighbour> out;
  std::istringstream in{std::string(text)};
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::istringstream l(line);
    std::string ip, hwtype, flags, mac, mask, dev;
    if (!(l >> ip >> hwtype >> flags >> mac >> mask >> dev)) continue;
    if (!(std::strtoul(flags.c_str(), nullptr, 16) & 0x2)) continue;  // ATF_COM: resolved
    auto addr = Ipv4Address::parse(ip);
    if (!addr) continue;
    KernelNeighbour n;
    n.ip = *addr;
    n.device = dev;
    unsigned b[6];
    if (std::sscanf(mac.c_str(), "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) !=
        6)
      continue;
    for (int i = 0; i < 6; ++i) n.mac[i] = static_cast<uint8_t>(b[i]);
    out.push_back(n);
  }
  return out;
}

std::vector<KernelNeighbour> read_kernel_neighbours() {
  std::ifstream f("/proc/net/arp");
  std::stringstream ss;
  ss << f.rdbuf();
  return parse_proc_net_arp(ss.str());
}

std::optional<PortSpan> parse_local_port_range(std::string_view text) {
  unsigned long v[2];
  const char* p = text.data();
  const char* end = p + text.size();
  for (auto& x : v) {
    while (p < end && (*p == ' ' || *p == '\t')) ++p;
    auto [next, ec] = std::from_chars(p, end, x);
    if (ec != std::errc() || next == p) return std::nullopt;
    p = next;
  }
  while (p < end && (*p == ' ' || *p == '\t' || *p == '\n')) ++p;
  if (p != end || v[0] == 0 || v[0] > v[1] || v[1] > 65535) return std::nullopt;
  return PortSpan{static_cast<uint16_t>(v[0]), static_cast<uint16_t>(v[1])};
}

std::optional<PortSpan> read_local_port_range() {
  std::ifstream in("/proc/sys/net/ipv4/ip_local_port_range");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return parse_local_port_range(text);
}

void prompt_neighbour_resolution(Ipv4Address from, Ipv4Address next_hop) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  sockaddr_in local{};
  local.sin_family = AF_INET;
  local.sin_addr.s_addr = htonl(from.value);
  sockaddr_in remote{};
  remote.sin_family = AF_INET;
  remote.sin_port = htons(9);  // discard
  remote.sin_addr.s_addr = htonl(next_hop.value);
  if (bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) == 0)
    (void)!sendto(fd, "", 0, 0, reinterpret_cast<sockaddr*>(&remote), sizeof remote);
  close(fd);
}

}  // namespace sbc::dataplane

// The admin server on a real event loop and a real Unix socket.
#include "controlplane/admin_server.h"

#include <grp.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

using namespace sbc;
using namespace sbc::controlplane;

namespace {

std::string temp_socket_path() {
  char dir[] = "/tmp/sbc-admin-test-XXXXXX";
  EXPECT_NE(mkdtemp(dir), nullptr);
  return std::string(dir) + "/admin.sock";
}

// Sends raw bytes, returns everything the server wrote before closing.
std::string roundtrip(const std::string& path, const std::string& bytes) {
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size());
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return "connect failed";
  }
  (void)!write(fd, bytes.data(), bytes.size());
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  close(fd);
  return out;
}

class AdminServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto l = EventLoop::create();
    ASSERT_TRUE(l.ok());
    loop = std::move(*l);
    path = temp_socket_path();
  }
  void TearDown() override {
    std::filesystem::remove_all(std::filesystem::path(path).parent_path());
  }

  // Runs the loop while `client` runs on another thread; the loop stops
  // itself (from its own thread) once the client is done.
  void run_with_client(std::function<void()> client) {
    std::atomic<bool> done{false};
    std::thread t([&] {
      client();
      done = true;
    });
    auto timer = loop->every(std::chrono::milliseconds(5), [&] {
      if (done) loop->stop();
    });
    ASSERT_TRUE(timer.ok());
    loop->run();
    t.join();
    loop->cancel(*timer);
  }

  std::unique_ptr<EventLoop> loop;
  std::string path;
};

}  // namespace

TEST_F(AdminServerTest, DispatchesCommandsAndReportsErrors) {
  AdminServer server(*loop);
  server.on("echo", "echo args", [](const std::vector<std::string>& args) {
    std::string body;
    for (auto& a : args) body += a + ";";
    return admin::Reply{true, body};
  });
  ASSERT_TRUE(server.listen(path).ok());
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u) << "with no admin group, the socket is sbcd's user's only";

  std::string echo, unknown, malformed, help, help_json, help_bad;
  run_with_client([&] {
    echo = roundtrip(path, admin::encode_request({"echo", "a b", "c"}));
    unknown = roundtrip(path, admin::encode_request({"nope"}));
    malformed = roundtrip(path, std::string("x\0y\n\n", 5));
    help = roundtrip(path, admin::encode_request({"help"}));
    help_json = roundtrip(path, admin::encode_request({"help", "--json"}));
    help_bad = roundtrip(path, admin::encode_request({"help", "--bogus"}));
  });
  EXPECT_EQ(help_json, "ok\n{\"echo\":\"echo args\"}\n");
  EXPECT_EQ(help_bad.rfind("error\n", 0), 0u) << help_bad;
  EXPECT_EQ(echo, "ok\na b;c;");
  EXPECT_EQ(unknown.rfind("error\nunknown command 'nope'", 0), 0u) << unknown;
  EXPECT_EQ(malformed, "error\nmalformed request\n");
  EXPECT_NE(help.find("echo\techo args"), std::string::npos) << help;
}

TEST_F(AdminServerTest, AdminGroupOwnsTheSocketAndItsDirectory) {
  // The process's own group stands in for an operators' group: the test
  // needs no root, and chown to a group one belongs to is always allowed.
  struct group* g = getgrgid(getegid());
  ASSERT_NE(g, nullptr);
  AdminServer server(*loop);
  ASSERT_TRUE(server.listen(path, g->gr_name).ok());
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0660u);
  EXPECT_EQ(st.st_gid, getegid());
  // mkdtemp made the directory 0700: the group may now traverse it.
  struct stat dst;
  ASSERT_EQ(stat(std::filesystem::path(path).parent_path().c_str(), &dst), 0);
  EXPECT_EQ(dst.st_gid, getegid());
  EXPECT_TRUE(dst.st_mode & S_IXGRP);
}

TEST_F(AdminServerTest, UnknownAdminGroupIsAClearError) {
  AdminServer server(*loop);
  auto s = server.listen(path, "no-such-group-sbc-test");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("admin group 'no-such-group-sbc-test' does not exist"),
            std::string::npos)
      << s.error().message;
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST_F(AdminServerTest, ReplacesAStaleSocketButNotALiveOne) {
  { std::ofstream(path) << "stale"; }
  AdminServer first(*loop);
  ASSERT_TRUE(first.listen(path).ok()) << "a stale file must be replaced";
  AdminServer second(*loop);
  auto s = second.listen(path);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("already listening"), std::string::npos);
}

TEST_F(AdminServerTest, RemovesItsSocketOnShutdown) {
  {
    AdminServer server(*loop);
    ASSERT_TRUE(server.listen(path).ok());
    EXPECT_TRUE(std::filesystem::exists(path));
  }
  EXPECT_FALSE(std::filesystem::exists(path));
}

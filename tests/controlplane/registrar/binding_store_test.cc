#include "controlplane/registrar/binding_store.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/fs.h>
#include <sqlite3.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "controlplane/registrar/location_store.h"

namespace sbc::registrar {
namespace {

namespace fs = std::filesystem;

// Root ignores file modes, so "unwritable" is made with the immutable
// attribute (needs CAP_LINUX_IMMUTABLE and a filesystem that has it).
bool set_immutable(const std::string& path, bool on) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return false;
  int flags = 0;
  bool ok = ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0;
  if (ok) {
    flags = on ? (flags | FS_IMMUTABLE_FL) : (flags & ~FS_IMMUTABLE_FL);
    ok = ioctl(fd, FS_IOC_SETFLAGS, &flags) == 0;
  }
  ::close(fd);
  return ok;
}

class BindingStoreTest : public testing::Test {
 protected:
  void SetUp() override {
    dir =
        fs::temp_directory_path() / ("sbc-binding-store-" + std::to_string(getpid()) + "-" +
                                     testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
    path = (dir / "registrar.db").string();
  }
  void TearDown() override { fs::remove_all(dir); }

  std::unique_ptr<BindingStore> open_store(size_t batch = 1000) {
    auto s = BindingStore::open({path, batch, 0});
    EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
    return s.ok() ? std::move(*s) : nullptr;
  }
  RegisterRequest req(const std::string& aor, const std::string& uri, uint32_t expires,
                      uint32_t cseq) {
    RegisterRequest r;
    r.aor = aor;
    r.call_id = "call-" + aor;
    r.cseq = cseq;
    r.expires_header = expires;
    ContactSpec c;
    c.uri = uri;
    c.q = 700;
    c.instance_id = "<urn:uuid:1>";
    c.reg_id = 3;
    r.contacts = {c};
    r.received = Source{Ipv4Address{0xC6120005}, 40000, Transport::kTcp};
    r.behind_nat = true;
    r.user_agent = "TestPhone/1.0";
    return r;
  }

  fs::path dir;
  std::string path;
  FakeClock clock;
  RegistrarConfig config{60, 3600, 1800, 3600, 10, 100000};
};

TEST_F(BindingStoreTest, RestartLosesNoPhone) {
  {
    auto db = open_store();
    ASSERT_NE(db, nullptr);
    LocationStore store(config, clock, db.get());
    ASSERT_TRUE(store.apply(req("sip:alice@x", "sip:a@192.168.1.2", 600, 1)).ok());
    ASSERT_TRUE(store.apply(req("sip:bob@x", "sip:b@192.168.1.3", 300, 1)).ok());
    EXPECT_EQ(db->pending(), 2u);
    ASSERT_TRUE(db->flush().ok());
    EXPECT_EQ(db->pending(), 0u);
  }
  clock.advance(Seconds{100});
  auto db = open_store();
  ASSERT_NE(db, nullptr);
  auto loaded = db->load(clock.now());
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  ASSERT_EQ(loaded->size(), 2u);
  LocationStore store(config, clock, db.get());
  for (auto& sb : *loaded) EXPECT_TRUE(store.restore(sb.aor, sb.binding));
  auto alice = store.lookup("sip:alice@x");
  ASSERT_EQ(alice.size(), 1u);
  const Binding& b = alice[0];
  EXPECT_EQ(b.contact, "sip:a@192.168.1.2");
  EXPECT_EQ(b.remaining(clock.now()).count(), 500);  // expiry kept, not restarted
  EXPECT_EQ(b.q, 700);
  EXPECT_EQ(b.instance_id, "<urn:uuid:1>");
  ASSERT_TRUE(b.reg_id.has_value());
  EXPECT_EQ(*b.reg_id, 3u);
  EXPECT_EQ(b.call_id, "call-sip:alice@x");
  EXPECT_EQ(b.cseq, 1u);
  EXPECT_EQ(b.received, (Source{Ipv4Address{0xC6120005}, 40000, Transport::kTcp}));
  EXPECT_TRUE(b.behind_nat);
  EXPECT_EQ(b.user_agent, "TestPhone/1.0");
  // The CSeq check survives the restart too.
  EXPECT_EQ(store.apply(req("sip:alice@x", "sip:a@192.168.1.2", 600, 1)).status, 400);
}

TEST_F(BindingStoreTest, ExpiredBindingsAreNotResurrected) {
  {
    auto db = open_store();
    LocationStore store(config, clock, db.get());
    ASSERT_TRUE(store.apply(req("sip:alice@x", "sip:a@h", 100, 1)).ok());
    ASSERT_TRUE(store.apply(req("sip:bob@x", "sip:b@h", 1000, 1)).ok());
    ASSERT_TRUE(db->flush().ok());
  }
  clock.advance(Seconds{100});
  auto db = open_store();
  auto loaded = db->load(clock.now());
  ASSERT_TRUE(loaded.ok());
  ASSERT_EQ(loaded->size(), 1u);
  EXPECT_EQ((*loaded)[0].aor, "sip:bob@x");
  // And the expired row was deleted, not just skipped.
  clock.set(clock.now() - Seconds{50});
  auto again = db->load(clock.now());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->size(), 1u);
}

TEST_F(BindingStoreTest, RemovalsArePersisted) {
  {
    auto db = open_store();
    LocationStore store(config, clock, db.get());
    ASSERT_TRUE(store.apply(req("sip:alice@x", "sip:a@h", 600, 1)).ok());
    ASSERT_TRUE(db->flush().ok());
    ASSERT_TRUE(store.apply(req("sip:alice@x", "sip:a@h", 0, 2)).ok());
    ASSERT_TRUE(db->flush().ok());
  }
  auto db = open_store();
  auto loaded = db->load(clock.now());
  ASSERT_TRUE(loaded.ok());
  EXPECT_TRUE(loaded->empty());
}

TEST_F(BindingStoreTest, BatchFlushesByCountAndCoalesces) {
  auto db = open_store(3);
  LocationStore store(config, clock, db.get());
  ASSERT_TRUE(store.apply(req("sip:a@x", "sip:a@h", 600, 1)).ok());
  ASSERT_TRUE(store.apply(req("sip:a@x", "sip:a@h", 600, 2)).ok());  // same binding
  EXPECT_EQ(db->pending(), 1u);
  EXPECT_EQ(db->flushes(), 0u);
  ASSERT_TRUE(store.apply(req("sip:b@x", "sip:b@h", 600, 1)).ok());
  EXPECT_EQ(db->flushes(), 0u);
  ASSERT_TRUE(store.apply(req("sip:c@x", "sip:c@h", 600, 1)).ok());
  EXPECT_EQ(db->flushes(), 1u);  // the third distinct change triggered it
  EXPECT_EQ(db->pending(), 0u);
  auto loaded = db->load(clock.now());
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->size(), 3u);
}

TEST_F(BindingStoreTest, UnflushedChangesAreWrittenOnCleanClose) {
  {
    auto db = open_store();
    LocationStore store(config, clock, db.get());
    ASSERT_TRUE(store.apply(req("sip:alice@x", "sip:a@h", 600, 1)).ok());
    EXPECT_EQ(db->pending(), 1u);
  }
  auto db = open_store();
  auto loaded = db->load(clock.now());
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->size(), 1u);
}

TEST_F(BindingStoreTest, CorruptedFileIsAClearError) {
  {
    std::ofstream f(path, std::ios::binary);
    for (int i = 0; i < 4096; ++i) f << "this is not sqlite ";
  }
  auto s = BindingStore::open({path, 10, 0});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find(path), std::string::npos);
  EXPECT_NE(s.error().message.find("not a database"), std::string::npos) << s.error().message;
}

TEST_F(BindingStoreTest, DamagedPagesAreAClearError) {
  {
    auto db = open_store();
    LocationStore store(config, clock, db.get());
    for (int i = 0; i < 200; ++i)
      ASSERT_TRUE(store
                      .apply(req("sip:u" + std::to_string(i) + "@x",
                                 "sip:" + std::string(200, 'a') + std::to_string(i) + "@h", 600, 1))
                      .ok());
    ASSERT_TRUE(db->flush().ok());
  }
  // Checkpointed into the main file on close; now scribble over its pages
  // after the header.
  auto size = fs::file_size(path);
  ASSERT_GT(size, 8192u);
  {
    std::fstream f(path, std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(4096 + 100);
    for (int i = 0; i < 6000; ++i) f.put(static_cast<char>(0xA5));
  }
  auto s = BindingStore::open({path, 10, 0});
  if (s.ok()) {
    // Damage that quick_check cannot see must still surface on load, not crash.
    auto loaded = (*s)->load(clock.now());
    EXPECT_FALSE(loaded.ok());
  } else {
    EXPECT_NE(s.error().message.find(path), std::string::npos) << s.error().message;
  }
}

TEST_F(BindingStoreTest, UnopenablePathIsAClearError) {
  auto missing_dir = BindingStore::open({(dir / "no" / "such" / "dir.db").string(), 10, 0});
  ASSERT_FALSE(missing_dir.ok());
  EXPECT_NE(missing_dir.error().message.find("cannot open"), std::string::npos)
      << missing_dir.error().message;
  auto is_dir = BindingStore::open({dir.string(), 10, 0});
  EXPECT_FALSE(is_dir.ok());
}

TEST_F(BindingStoreTest, UnwritableFileIsAClearError) {
  {
    auto db = open_store();
    ASSERT_NE(db, nullptr);
  }
  if (!set_immutable(path, true)) GTEST_SKIP() << "no immutable attribute here";
  auto s = BindingStore::open({path, 10, 0});
  set_immutable(path, false);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("not writable"), std::string::npos) << s.error().message;
}

TEST_F(BindingStoreTest, FileBecomingUnwritableFailsTheFlushAndKeepsTheQueue) {
  auto db = open_store();
  ASSERT_NE(db, nullptr);
  LocationStore store(config, clock, db.get());
  ASSERT_TRUE(store.apply(req("sip:alice@x", "sip:a@h", 600, 1)).ok());
  ASSERT_TRUE(db->flush().ok());
  ASSERT_TRUE(store.apply(req("sip:bob@x", "sip:b@h", 600, 1)).ok());
  // The WAL is where a commit goes: make it unwritable.
  if (!set_immutable(path + "-wal", true)) GTEST_SKIP() << "no immutable attribute here";
  auto s = db->flush();
  set_immutable(path + "-wal", false);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(db->pending(), 1u);
  ASSERT_TRUE(db->flush().ok());
  EXPECT_EQ(db->pending(), 0u);
  auto loaded = db->load(clock.now());
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->size(), 2u);
}

TEST_F(BindingStoreTest, NewerSchemaIsRefused) {
  {
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
    sqlite3_exec(raw, "PRAGMA user_version=99", nullptr, nullptr, nullptr);
    sqlite3_close(raw);
  }
  auto s = BindingStore::open({path, 10, 0});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("newer"), std::string::npos);
}

TEST_F(BindingStoreTest, LockedDatabaseKeepsTheQueueAndRetries) {
  auto db = open_store();
  LocationStore store(config, clock, db.get());
  ASSERT_TRUE(store.apply(req("sip:alice@x", "sip:a@h", 600, 1)).ok());

  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr), SQLITE_OK);
  auto s = db->flush();
  EXPECT_FALSE(s.ok());
  if (!s.ok()) {
    EXPECT_NE(s.error().message.find("locked"), std::string::npos) << s.error().message;
  }
  EXPECT_EQ(db->pending(), 1u);  // nothing lost
  sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(other);

  ASSERT_TRUE(db->flush().ok());
  EXPECT_EQ(db->pending(), 0u);
  auto loaded = db->load(clock.now());
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->size(), 1u);
}

}  // namespace
}  // namespace sbc::registrar

#include "controlplane/registrar/binding_store.h"

#include <sqlite3.h>

namespace sbc::registrar {
namespace {

constexpr int kSchemaVersion = 1;

constexpr const char* kSchema =
    "CREATE TABLE IF NOT EXISTS bindings ("
    " aor TEXT NOT NULL, binding_key TEXT NOT NULL, contact TEXT NOT NULL,"
    " instance_id TEXT NOT NULL, reg_id INTEGER, call_id TEXT NOT NULL,"
    " cseq INTEGER NOT NULL, q INTEGER NOT NULL, expires_at INTEGER NOT NULL,"
    " registered_at INTEGER NOT NULL, source_ip INTEGER NOT NULL,"
    " source_port INTEGER NOT NULL, transport TEXT NOT NULL, behind_nat INTEGER NOT NULL,"
    " user_agent TEXT NOT NULL, PRIMARY KEY (aor, binding_key)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS bindings_expiry ON bindings (expires_at);";

// RAII for prepared statements so every early return finalizes.
class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) { rc_ = sqlite3_prepare_v2(db, sql, -1, &s_, nullptr); }
  ~Stmt() { sqlite3_finalize(s_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  bool ok() const { return rc_ == SQLITE_OK; }
  sqlite3_stmt* get() { return s_; }
  void text(int i, std::string_view v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  void integer(int i, int64_t v) { sqlite3_bind_int64(s_, i, v); }
  std::string column_text(int i) {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, i));
    return p != nullptr ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(s_, i)))
                        : std::string{};
  }

 private:
  sqlite3_stmt* s_ = nullptr;
  int rc_;
};

int64_t unix_seconds(Time t) {
  return t.time_since_epoch().count();
}

}  // namespace

BindingStore::BindingStore(BindingStoreConfig config, sqlite3* db)
    : config_(std::move(config)), db_(db) {}

BindingStore::~BindingStore() {
  // Best effort: a clean shutdown loses nothing.
  if (!pending_.empty()) (void)flush();
  sqlite3_close(db_);
}

Error BindingStore::sqlite_error(const std::string& what) const {
  return make_error("binding store " + config_.path + ": " + what + ": " + sqlite3_errmsg(db_));
}

Status BindingStore::exec(const char* sql) {
  char* msg = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &msg) != SQLITE_OK) {
    std::string m = msg != nullptr ? msg : sqlite3_errmsg(db_);
    sqlite3_free(msg);
    return make_error("binding store " + config_.path + ": " + m);
  }
  return ok_status();
}

Result<std::unique_ptr<BindingStore>> BindingStore::open(BindingStoreConfig config) {
  sqlite3* db = nullptr;
  int rc =
      sqlite3_open_v2(config.path.c_str(), &db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    return make_error("binding store " + config.path + ": cannot open: " + msg);
  }
  // SQLite silently falls back to read-only when the file is not writable;
  // a registrar that cannot persist must say so at start, not lose phones.
  if (sqlite3_db_readonly(db, "main") == 1) {
    sqlite3_close(db);
    return make_error("binding store " + config.path + ": not writable (opened read-only)");
  }
  sqlite3_busy_timeout(db, config.busy_timeout_ms);
  std::unique_ptr<BindingStore> store(new BindingStore(std::move(config), db));

  // WAL: readers (sbcctl, backups) do not block the writer, and a commit is
  // an append. synchronous=NORMAL: a committed batch survives a process
  // crash; a power loss may lose the last batches (docs/registrar.md).
  if (auto s = store->exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"); !s)
    return s.error();
  int version = 0;
  {
    Stmt st(db, "PRAGMA user_version");
    if (!st.ok() || sqlite3_step(st.get()) != SQLITE_ROW)
      return store->sqlite_error("cannot read schema version");
    version = sqlite3_column_int(st.get(), 0);
  }
  if (version > kSchemaVersion)
    return make_error("binding store " + store->config_.path + ": schema version " +
                      std::to_string(version) + " is newer than this sbcd (" +
                      std::to_string(kSchemaVersion) + ")");
  if (auto s = store->exec(kSchema); !s) return s.error();
  if (auto s = store->exec("PRAGMA user_version=1"); !s) return s.error();
  // Catch a damaged file now rather than on the first flush.
  {
    Stmt st(db, "PRAGMA quick_check(1)");
    if (!st.ok() || sqlite3_step(st.get()) != SQLITE_ROW)
      return store->sqlite_error("integrity check failed");
    std::string result = st.column_text(0);
    if (result != "ok")
      return make_error("binding store " + store->config_.path + ": damaged: " + result);
  }
  return store;
}

Result<std::vector<StoredBinding>> BindingStore::load(Time now) {
  {
    Stmt del(db_, "DELETE FROM bindings WHERE expires_at <= ?1");
    if (!del.ok()) return sqlite_error("cannot prepare delete of expired bindings");
    del.integer(1, unix_seconds(now));
    if (sqlite3_step(del.get()) != SQLITE_DONE)
      return sqlite_error("cannot delete expired bindings");
  }
  Stmt st(db_,
          "SELECT aor, contact, instance_id, reg_id, call_id, cseq, q, expires_at,"
          " registered_at, source_ip, source_port, transport, behind_nat, user_agent"
          " FROM bindings WHERE expires_at > ?1");
  if (!st.ok()) return sqlite_error("cannot prepare load");
  st.integer(1, unix_seconds(now));
  std::vector<StoredBinding> out;
  int rc;
  while ((rc = sqlite3_step(st.get())) == SQLITE_ROW) {
    StoredBinding sb;
    sb.aor = st.column_text(0);
    Binding& b = sb.binding;
    b.contact = st.column_text(1);
    b.instance_id = st.column_text(2);
    if (sqlite3_column_type(st.get(), 3) != SQLITE_NULL)
      b.reg_id = static_cast<uint32_t>(sqlite3_column_int64(st.get(), 3));
    b.call_id = st.column_text(4);
    b.cseq = static_cast<uint32_t>(sqlite3_column_int64(st.get(), 5));
    b.q = static_cast<uint16_t>(sqlite3_column_int(st.get(), 6));
    b.expires_at = Time{Seconds{sqlite3_column_int64(st.get(), 7)}};
    b.registered_at = Time{Seconds{sqlite3_column_int64(st.get(), 8)}};
    b.received.address.value = static_cast<uint32_t>(sqlite3_column_int64(st.get(), 9));
    b.received.port = static_cast<uint16_t>(sqlite3_column_int(st.get(), 10));
    b.received.transport = parse_transport(st.column_text(11)).value_or(Transport::kUdp);
    b.behind_nat = sqlite3_column_int(st.get(), 12) != 0;
    b.user_agent = st.column_text(13);
    out.push_back(std::move(sb));
  }
  if (rc != SQLITE_DONE) return sqlite_error("cannot read bindings");
  return out;
}

void BindingStore::binding_upserted(std::string_view aor, const Binding& b) {
  pending_[{std::string(aor), b.key()}] = b;
  if (pending_.size() >= config_.batch_size) {
    auto s = flush();
    if (!s) last_error_ = s.error();
  }
}

void BindingStore::binding_removed(std::string_view aor, std::string_view key) {
  pending_[{std::string(aor), std::string(key)}] = std::nullopt;
  if (pending_.size() >= config_.batch_size) {
    auto s = flush();
    if (!s) last_error_ = s.error();
  }
}

Status BindingStore::flush() {
  if (pending_.empty()) return ok_status();
  if (auto s = exec("BEGIN IMMEDIATE"); !s) return s;
  Stmt up(db_,
          "INSERT OR REPLACE INTO bindings (aor, binding_key, contact, instance_id, reg_id,"
          " call_id, cseq, q, expires_at, registered_at, source_ip, source_port, transport,"
          " behind_nat, user_agent) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15)");
  Stmt del(db_, "DELETE FROM bindings WHERE aor = ?1 AND binding_key = ?2");
  auto fail = [&](const std::string& what) {
    Error e = sqlite_error(what);
    (void)exec("ROLLBACK");
    return e;
  };
  if (!up.ok() || !del.ok()) return fail("cannot prepare batch");
  for (const auto& [k, v] : pending_) {
    Stmt& st = v ? up : del;
    sqlite3_reset(st.get());
    sqlite3_clear_bindings(st.get());
    st.text(1, k.first);
    st.text(2, k.second);
    if (v) {
      const Binding& b = *v;
      st.text(3, b.contact);
      st.text(4, b.instance_id);
      if (b.reg_id) st.integer(5, *b.reg_id);  // else NULL
      st.text(6, b.call_id);
      st.integer(7, b.cseq);
      st.integer(8, b.q);
      st.integer(9, unix_seconds(b.expires_at));
      st.integer(10, unix_seconds(b.registered_at));
      st.integer(11, b.received.address.value);
      st.integer(12, b.received.port);
      st.text(13, transport_name(b.received.transport));
      st.integer(14, b.behind_nat ? 1 : 0);
      st.text(15, b.user_agent);
    }
    if (sqlite3_step(st.get()) != SQLITE_DONE) return fail("cannot write binding");
  }
  if (sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK)
    return fail("cannot commit batch");
  pending_.clear();
  last_error_.reset();
  ++flushes_;
  return ok_status();
}

}  // namespace sbc::registrar

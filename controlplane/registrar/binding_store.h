// SQLite persistence of the location store, write-behind.
//
// Changes arrive through BindingSink (from LocationStore) and are queued,
// coalesced per binding (the last change wins), and written in one
// transaction per batch: when batch_size changes are pending, or when the
// caller's timer calls flush(). The event loop thus pays one fsync per batch
// instead of one per REGISTER. What a crash can lose is in docs/registrar.md.
//
// If a flush fails (disk full, database locked), the queue is kept and the
// next flush retries it; the queue cannot grow beyond one entry per binding.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/result.h"
#include "controlplane/registrar/binding.h"
#include "controlplane/registrar/binding_sink.h"
#include "controlplane/registrar/clock.h"

struct sqlite3;

namespace sbc::registrar {

struct BindingStoreConfig {
  std::string path;
  size_t batch_size = 256;   // pending changes that trigger a flush by themselves
  int busy_timeout_ms = 50;  // bounded: never stall the event loop on a lock
};

struct StoredBinding {
  std::string aor;
  Binding binding;
};

class BindingStore final : public BindingSink {
 public:
  // Opens (creating if needed) and checks the schema. Errors name the file
  // and SQLite's reason: not a database, cannot open, newer schema, ...
  static Result<std::unique_ptr<BindingStore>> open(BindingStoreConfig config);
  ~BindingStore() override;
  BindingStore(const BindingStore&) = delete;
  BindingStore& operator=(const BindingStore&) = delete;

  // Bindings still live at `now`; rows already expired are deleted instead
  // of resurrected.
  Result<std::vector<StoredBinding>> load(Time now);

  // BindingSink: queue (and flush when the batch is full).
  void binding_upserted(std::string_view aor, const Binding& b) override;
  void binding_removed(std::string_view aor, std::string_view key) override;

  // Writes everything pending in one transaction.
  Status flush();

  size_t pending() const { return pending_.size(); }
  // The error of the last failed automatic flush, if it has not succeeded since.
  const std::optional<Error>& last_error() const { return last_error_; }
  uint64_t flushes() const { return flushes_; }

 private:
  explicit BindingStore(BindingStoreConfig config, sqlite3* db);
  Status exec(const char* sql);
  Error sqlite_error(const std::string& what) const;

  BindingStoreConfig config_;
  sqlite3* db_;
  // (aor, key) -> binding to write, or nullopt to delete.
  std::map<std::pair<std::string, std::string>, std::optional<Binding>> pending_;
  std::optional<Error> last_error_;
  uint64_t flushes_ = 0;
};

}  // namespace sbc::registrar

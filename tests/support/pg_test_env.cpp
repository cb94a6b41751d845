#include "tests/support/pg_test_env.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <pqxx/pqxx>
#include <random>
#include <stdexcept>

namespace fixgw::testing {
namespace {

std::string uniqueSchemaName() {
  static std::atomic<int> counter{0};
  std::random_device rd;
  char buf[64];
  std::snprintf(buf, sizeof buf, "t_%d_%d_%08x", static_cast<int>(::getpid()), ++counter,
                static_cast<unsigned>(rd()));
  return buf;
}

// Adds search_path to a conninfo in either libpq form.
std::string withSearchPath(const std::string& base, const std::string& schema) {
  const bool uri = base.rfind("postgresql://", 0) == 0 || base.rfind("postgres://", 0) == 0;
  if (uri) {
    const char* sep = base.find('?') == std::string::npos ? "?" : "&";
    return base + sep + "options=-c%20search_path%3D" + schema;
  }
  return base + " options='-c search_path=" + schema + "'";
}

}  // namespace

struct PgTestSchema::Impl {
  std::string base;
  std::string schema;
  std::string conninfo;
  mutable std::mutex mu;
  mutable std::unique_ptr<pqxx::connection> conn;  // for query()/exec(), in search_path

  pqxx::connection& connection() const {
    if (!conn || !conn->is_open()) conn = std::make_unique<pqxx::connection>(conninfo);
    return *conn;
  }
};

PgTestSchema::PgTestSchema() : impl_(std::make_unique<Impl>()) {
  const char* db = std::getenv("FIXGW_TEST_DB");
  if (db == nullptr || *db == '\0') {
    throw std::runtime_error(
        "FIXGW_TEST_DB is not set: this test needs PostgreSQL. Run ./scripts/test.sh, or "
        "bash scripts/pg.sh ensure && FIXGW_TEST_DB=\"$(bash scripts/pg.sh conninfo)\" <test>");
  }
  impl_->base = db;
  impl_->schema = uniqueSchemaName();
  impl_->conninfo = withSearchPath(impl_->base, impl_->schema);
  try {
    pqxx::connection admin(impl_->base);
    pqxx::nontransaction nt(admin);
    nt.exec("CREATE SCHEMA " + impl_->schema);
  } catch (const std::exception& e) {
    throw std::runtime_error("PgTestSchema: cannot create a test schema in FIXGW_TEST_DB: " +
                             std::string(e.what()));
  }
}

PgTestSchema::~PgTestSchema() {
  // FIXGW_TEST_KEEP_SCHEMA=1 keeps the schema for a look with psql after a test.
  if (const char* keep = std::getenv("FIXGW_TEST_KEEP_SCHEMA"); keep && std::string(keep) == "1") {
    std::fprintf(stderr, "PgTestSchema: kept schema %s\n", impl_->schema.c_str());
    return;
  }
  try {
    std::lock_guard lk(impl_->mu);
    impl_->conn.reset();
    pqxx::connection admin(impl_->base);
    pqxx::nontransaction nt(admin);
    nt.exec("SET client_min_messages = warning");
    nt.exec("DROP SCHEMA IF EXISTS " + impl_->schema + " CASCADE");
  } catch (const std::exception& e) {
    ADD_FAILURE() << "PgTestSchema: could not drop schema " << impl_->schema << ": " << e.what();
  }
}

const std::string& PgTestSchema::schema() const { return impl_->schema; }
const std::string& PgTestSchema::conninfo() const { return impl_->conninfo; }

std::vector<std::vector<std::string>> PgTestSchema::query(const std::string& sql) const {
  std::lock_guard lk(impl_->mu);
  pqxx::nontransaction nt(impl_->connection());
  const pqxx::result r = nt.exec(sql);
  std::vector<std::vector<std::string>> rows;
  rows.reserve(r.size());
  for (const auto& row : r) {
    std::vector<std::string> out;
    out.reserve(row.size());
    for (const auto& field : row) out.push_back(field.is_null() ? "<null>" : field.c_str());
    rows.push_back(std::move(out));
  }
  return rows;
}

void PgTestSchema::exec(const std::string& sql) const {
  std::lock_guard lk(impl_->mu);
  pqxx::nontransaction nt(impl_->connection());
  nt.exec(sql);
}

std::string schemaDir() {
  if (const char* src = std::getenv("FIXGW_SOURCE_DIR"); src != nullptr && *src != '\0') {
    return std::string(src) + "/schema";
  }
#ifdef FIXGW_SOURCE_DIR_DEFAULT
  return std::string(FIXGW_SOURCE_DIR_DEFAULT) + "/schema";
#else
  return "schema";
#endif
}

}  // namespace fixgw::testing

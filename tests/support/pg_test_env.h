// PostgreSQL fixture for tests: each PgTestSchema is a fresh schema of its own in the database
// named by the environment variable FIXGW_TEST_DB (a libpq conninfo; ./scripts/test.sh sets it
// from scripts/pg.sh), dropped with everything in it when the object goes. Tests connect with
// conninfo(), whose search_path points at the schema, so all unqualified SQL (schema/, store/)
// lands there and tests running in parallel never see each other's rows.
//
// Thread-safety: query() may be called from any thread (it serialises on its own connection);
// construct and destroy on the test's thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace fixgw::testing {

class PgTestSchema {
 public:
  // Throws (failing the current test with the message) when FIXGW_TEST_DB is unset or the
  // database cannot be reached.
  PgTestSchema();
  ~PgTestSchema();  // keeps the schema when FIXGW_TEST_KEEP_SCHEMA=1 (debugging)
  PgTestSchema(const PgTestSchema&) = delete;
  PgTestSchema& operator=(const PgTestSchema&) = delete;

  const std::string& schema() const;
  // FIXGW_TEST_DB with search_path set to schema() (key=value and URI forms both handled).
  const std::string& conninfo() const;
  // Runs sql on a connection of its own (so it sees only committed rows) and returns the rows
  // as strings, NULL as "<null>". Throws on SQL errors.
  std::vector<std::vector<std::string>> query(const std::string& sql) const;
  // Runs statements without results (setup, expected failures).
  void exec(const std::string& sql) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// <repo>/schema: from env FIXGW_SOURCE_DIR (ctest sets it), else the source dir compiled in.
std::string schemaDir();

}  // namespace fixgw::testing

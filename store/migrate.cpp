#include "store/migrate.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <pqxx/pqxx>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>

#include "store/pg_journal.h"
#include "store/sql_text.h"

namespace fixgw::store {
namespace {

namespace fs = std::filesystem;

struct MigrationFile {
  int version = 0;
  std::string fileName;
  fs::path path;
};

std::vector<MigrationFile> listMigrations(const std::string& schemaDir) {
  std::error_code ec;
  if (!fs::is_directory(schemaDir, ec)) {
    throw std::runtime_error("migrate: schema directory '" + schemaDir + "' not found");
  }
  static const std::regex kName(R"(^([0-9]{4,9})_[A-Za-z0-9_.-]+\.sql$)");
  std::map<int, MigrationFile> byVersion;
  for (const auto& entry : fs::directory_iterator(schemaDir)) {
    if (!entry.is_regular_file()) continue;
    const std::string name = entry.path().filename().string();
    std::smatch m;
    if (!std::regex_match(name, m, kName)) continue;
    const int version = std::stoi(m[1].str());
    auto [it, inserted] = byVersion.emplace(version, MigrationFile{version, name, entry.path()});
    if (!inserted) {
      throw std::runtime_error("migrate: two files for schema version " + std::to_string(version) +
                               ": " + it->second.fileName + " and " + name);
    }
  }
  std::vector<MigrationFile> out;
  for (auto& [v, f] : byVersion) out.push_back(std::move(f));
  return out;
}

std::string readFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error("migrate: cannot read " + p.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

std::vector<std::string> migrate(const std::string& conninfo, const std::string& schemaDir) {
  const auto files = listMigrations(schemaDir);
  const int highestKnown = files.empty() ? 0 : files.back().version;

  std::unique_ptr<pqxx::connection> conn;
  try {
    conn = std::make_unique<pqxx::connection>(conninfo);
  } catch (const std::exception& e) {
    throw std::runtime_error("migrate: cannot connect to PostgreSQL (" + redactConninfo(conninfo) +
                             "): " + redactConninfo(e.what()));
  }

  std::vector<std::string> applied;
  try {
    pqxx::nontransaction nt(*conn);
    // Serialise migrators of the same schema (several processes starting at once); released
    // when the connection closes.
    nt.exec(
        "SELECT pg_advisory_lock(hashtext('fixgw.migrate:' || coalesce(current_schema(), '')))");
    nt.exec(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version int PRIMARY KEY, name text NOT "
        "NULL, "
        "applied_at timestamptz NOT NULL DEFAULT now())");
    std::set<int> done;
    int highestDb = 0;
    for (const auto& row : nt.exec("SELECT version FROM schema_migrations")) {
      const int v = row[0].as<int>();
      done.insert(v);
      highestDb = std::max(highestDb, v);
    }
    nt.commit();
    if (highestDb > highestKnown) {
      throw std::runtime_error("database schema version " + std::to_string(highestDb) +
                               " is newer than this binary knows (" + std::to_string(highestKnown) +
                               ")");
    }
    for (const auto& f : files) {
      if (done.count(f.version)) continue;
      const std::string sql = readFile(f.path);
      try {
        pqxx::work w(*conn);
        w.exec(sql);
        std::string row = "INSERT INTO schema_migrations (version, name) VALUES (" +
                          std::to_string(f.version) + ",";
        detail::appendQuoted(row, f.fileName);
        row += ")";
        w.exec(row);
        w.commit();
      } catch (const std::exception& e) {
        throw std::runtime_error("migrate: " + f.fileName + " failed: " + e.what());
      }
      spdlog::info("migrate: applied {}", f.fileName);
      applied.push_back(f.fileName);
    }
  } catch (const pqxx::broken_connection& e) {
    throw std::runtime_error(std::string("migrate: connection lost: ") + e.what());
  } catch (const pqxx::sql_error& e) {
    throw std::runtime_error(std::string("migrate: ") + e.what());
  }
  return applied;
}

}  // namespace fixgw::store

// Schema migrations: applies schema/NNNN_name.sql files, forward only, in version order, each in
// its own transaction together with its row in schema_migrations. All SQL is unqualified, so it
// lands in the first schema of the connection's search_path.
//
// Thread-safety: free function with its own connection; concurrent callers on the same schema
// are serialised by an advisory lock.
#pragma once

#include <string>
#include <vector>

namespace fixgw::store {

// Applies the files of schemaDir not yet recorded in schema_migrations; returns their file names
// in the order applied (empty when up to date). Throws std::runtime_error when it cannot connect,
// when a file fails (naming it), or when the database records a version newer than the highest
// file ("database schema version N is newer than this binary knows (M)").
std::vector<std::string> migrate(const std::string& conninfo, const std::string& schemaDir);

}  // namespace fixgw::store

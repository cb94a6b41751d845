#include "venue_adapters/registry.h"

#include <charconv>
#include <stdexcept>

namespace fixgw::venues {

std::optional<std::string> ParamReader::str(const std::string& key) {
  used_[key] = true;
  auto it = p_.find(key);
  if (it == p_.end()) return std::nullopt;
  return it->second;
}

int64_t ParamReader::integer(const std::string& key, int64_t dflt) {
  auto v = str(key);
  if (!v) return dflt;
  int64_t out = 0;
  auto [ptr, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
  if (ec != std::errc() || ptr != v->data() + v->size())
    throw std::invalid_argument(path_ + "." + key + ": expected an integer, got '" + *v + "'");
  return out;
}

double ParamReader::number(const std::string& key, double dflt) {
  auto v = str(key);
  if (!v) return dflt;
  try {
    size_t n = 0;
    double d = std::stod(*v, &n);
    if (n != v->size()) throw std::invalid_argument("trailing");
    return d;
  } catch (const std::exception&) {
    throw std::invalid_argument(path_ + "." + key + ": expected a number, got '" + *v + "'");
  }
}

bool ParamReader::boolean(const std::string& key, bool dflt) {
  auto v = str(key);
  if (!v) return dflt;
  if (*v == "true") return true;
  if (*v == "false") return false;
  throw std::invalid_argument(path_ + "." + key + ": expected true or false, got '" + *v + "'");
}

void ParamReader::finish() const {
  for (const auto& [k, v] : p_)
    if (!used_.count(k)) throw std::invalid_argument(path_ + "." + k + ": unknown key");
}

void VenueRegistry::registerType(const std::string& type, VenueFactory f) {
  if (!factories_.emplace(type, std::move(f)).second)
    throw std::logic_error("venue type '" + type + "' registered twice");
}

std::unique_ptr<VenueAdapter> VenueRegistry::create(const std::string& type,
                                                    const VenueContext& ctx,
                                                    const VenueParams& params) const {
  auto it = factories_.find(type);
  if (it == factories_.end()) {
    std::string known;
    for (const auto& [k, v] : factories_) known += (known.empty() ? "" : ", ") + k;
    throw std::invalid_argument(ctx.configPath + ".type: unknown venue type '" + type +
                                "' (known: " + known + ")");
  }
  ParamReader reader(params, ctx.configPath + ".params");
  auto adapter = it->second(ctx, reader);
  reader.finish();
  return adapter;
}

}  // namespace fixgw::venues

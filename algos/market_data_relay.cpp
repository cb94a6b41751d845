#include "algos/market_data_relay.h"

#include <algorithm>

namespace fixgw::algos {

MarketDataRelay::MarketDataRelay(Executor& engine, int32_t profileBucketMinutes)
    : engine_(engine), bucketMinutes_(profileBucketMinutes) {}

void MarketDataRelay::onBook(const TopOfBook& book) {
  engine_.post([this, book] { deliverBook(book); });
}

void MarketDataRelay::onTrade(const Trade& trade) {
  engine_.post([this, trade] { deliverTrade(trade); });
}

void MarketDataRelay::deliverBook(const TopOfBook& book) {
  books_[book.symbol] = book;
  auto it = runners_.find(book.symbol);
  if (it == runners_.end()) return;
  // A runner may finish (and the engine detach it) from inside the call.
  const std::vector<AlgoRunner*> runners = it->second;
  for (AlgoRunner* r : runners) r->onBook(book);
}

void MarketDataRelay::deliverTrade(const Trade& trade) {
  learners_.try_emplace(trade.symbol, bucketMinutes_).first->second.add(trade);
  auto it = runners_.find(trade.symbol);
  if (it == runners_.end()) return;
  const std::vector<AlgoRunner*> runners = it->second;
  for (AlgoRunner* r : runners) r->onTrade(trade);
}

void MarketDataRelay::attach(AlgoRunner& runner) {
  const Symbol& s = runner.parentOrder().symbol;
  auto& v = runners_[s];
  if (std::find(v.begin(), v.end(), &runner) == v.end()) v.push_back(&runner);
  if (auto b = books_.find(s); b != books_.end()) runner.onBook(b->second);
}

void MarketDataRelay::detach(AlgoRunner& runner) {
  auto it = runners_.find(runner.parentOrder().symbol);
  if (it == runners_.end()) return;
  std::erase(it->second, &runner);
  if (it->second.empty()) runners_.erase(it);
}

const TopOfBook* MarketDataRelay::latestBook(const Symbol& symbol) const {
  auto it = books_.find(symbol);
  return it == books_.end() ? nullptr : &it->second;
}

std::vector<ProfileBucket> MarketDataRelay::learnedProfile(const Symbol& symbol) const {
  auto it = learners_.find(symbol);
  return it == learners_.end() ? std::vector<ProfileBucket>{} : it->second.profile();
}

}  // namespace fixgw::algos

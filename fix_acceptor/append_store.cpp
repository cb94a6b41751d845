#include "fix_acceptor/append_store.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <mutex>
#include <string_view>

#include "core/output_cork.h"
#include "fix_acceptor/store_time.h"

namespace fixgw::fix {
namespace {

constexpr std::string_view kHeader = "FIXGW-SESSION-LOG 1\n";
// A record's first line is never longer than this ("M <int> <int>\n" is < 30).
constexpr size_t kMaxLine = 64;
// Larger than any FIX message the gateway sends; a length above it is corruption.
constexpr uint64_t kMaxMessage = 64u << 20;

int64_t nowMicros() { return toMicros(FIX::UtcTimeStamp()); }

void appendInt(std::string& out, int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

// Parses "<int>" or "<int> <int>" (count numbers) from a record line without its
// type letter and newline. False if it is anything else.
bool parseNumbers(std::string_view s, int count, int64_t* out) {
  for (int i = 0; i < count; ++i) {
    if (s.empty() || s.front() != ' ') return false;
    s.remove_prefix(1);
    auto r = std::from_chars(s.data(), s.data() + s.size(), out[i]);
    if (r.ec != std::errc() || r.ptr == s.data()) return false;
    s.remove_prefix(static_cast<size_t>(r.ptr - s.data()));
  }
  return s.empty();
}

}  // namespace

struct AppendFileStore::Impl final : cork::Flushable {
  ~Impl() override {
    if (fd >= 0) ::close(fd);
  }
  struct Entry {
    int64_t offset = -1;  // of the message bytes in the file; -1: none
    uint32_t len = 0;
  };

  std::string path;
  int fd = -1;
  int64_t end = 0;  // bytes of whole records in the file
  // After a failed write could not be undone the file may hold half a record:
  // every later call refuses rather than append after it.
  bool broken = false;

  int nextSender = 1;
  int nextTarget = 1;
  // The next sender number a replay of the file gives now (an M record implies
  // seq + 1), so the increment QuickFIX makes right after set() writes nothing.
  int fileSender = 1;
  int64_t creationMicros = 0;
  // MsgSeqNum -> message: dense from 1 (the normal case), sparse beyond.
  std::vector<Entry> dense;
  std::map<int, Entry> sparse;
  std::string buf;  // the record being written; reused
  // Records of a corked round not yet written (file offsets already assigned
  // from end). Every member is guarded by mu: QuickFIX's callers hold the
  // session lock, the round's flush does not.
  std::string pending;
  mutable std::mutex mu;
  bool corkable = false;  // set once by the constructor
  std::string group;      // the session's SessionID string (the cork's group); set once

  std::string where() const { return "fixgw append store " + path; }

  [[noreturn]] void ioFail(const std::string& what, int err) const {
    throw FIX::IOException(where() + ": " + what + ": " + std::strerror(err));
  }

  void index(int seq, Entry e) {
    const size_t i = static_cast<size_t>(seq) - 1;
    if (i < dense.size()) {
      dense[i] = e;
    } else if (i == dense.size()) {
      dense.push_back(e);
    } else {
      sparse[seq] = e;
    }
  }

  const Entry* find(int seq) const {
    if (seq < 1) return nullptr;
    const size_t i = static_cast<size_t>(seq) - 1;
    if (i < dense.size()) return dense[i].offset >= 0 ? &dense[i] : nullptr;
    auto it = sparse.find(seq);
    return it == sparse.end() ? nullptr : &it->second;
  }

  // Appends buf as one write. On failure the file is cut back to its last
  // whole record, so a later append never follows half a record.
  void write() {
    if (broken) throw FIX::IOException(where() + ": unusable after an earlier write failure");
    size_t off = 0;
    while (off < buf.size()) {
      const ssize_t n = ::write(fd, buf.data() + off, buf.size() - off);
      if (n < 0) {
        if (errno == EINTR) continue;
        const int err = errno;
        if (::ftruncate(fd, end) != 0) broken = true;
        ioFail("write", err);
      }
      off += static_cast<size_t>(n);
    }
    end += static_cast<int64_t>(buf.size());
  }

  // Writes the pending records. After a failure the file may lack records
  // the index already points at: the store refuses further use (broken).
  void writePending() {
    if (pending.empty()) return;
    buf.swap(pending);
    pending.clear();
    try {
      write();
    } catch (...) {
      broken = true;
      throw;
    }
  }

  // buf holds one record: write it now, after any pending ones (call order),
  // or add it to the pending ones inside an output round.
  void emit(const std::shared_ptr<Impl>& self) {
    if (broken) throw FIX::IOException(where() + ": unusable after an earlier write failure");
    if (corkable && cork::active()) {
      pending += buf;
      cork::defer(self, cork::Phase::Store);
      return;
    }
    if (!pending.empty()) {
      pending += buf;
      writePending();
      return;
    }
    write();
  }

  // False once the file failed (this round or earlier): the round then keeps the same
  // session's socket bytes off the wire (core/output_cork.h, corkGroup()).
  bool flushCorked() noexcept override {
    std::lock_guard lk(mu);
    try {
      writePending();
    } catch (const std::exception& e) {
      spdlog::error("{} (corked round): {}; the round's messages are not sent and the session "
                    "is disconnected",
                    where(), e.what());
    }
    return !broken;
  }
  std::string_view corkGroup() const noexcept override { return group; }

  void writeNumberRecord(const std::shared_ptr<Impl>& self, char type, int64_t n) {
    buf.clear();
    buf += type;
    buf += ' ';
    appendInt(buf, n);
    buf += '\n';
    emit(self);
  }

  void truncateAll() {
    if (::ftruncate(fd, 0) != 0) ioFail("truncate", errno);
    end = 0;
    broken = false;
    dense.clear();
    sparse.clear();
    nextSender = nextTarget = fileSender = 1;
    creationMicros = nowMicros();
    buf.assign(kHeader);
    buf += "C ";
    appendInt(buf, creationMicros);
    buf += '\n';
    write();
  }

  [[noreturn]] void corrupt(int64_t at, const std::string& why) const {
    throw FIX::ConfigError(where() + ": unreadable record at byte " + std::to_string(at) + ": " +
                           why + " (the file is left as it is; move it away to start the " +
                           "session from sequence number 1)");
  }

  // Replays the file into memory. A record cut short at the end is dropped (and cut off).
  void load() {
    struct stat st {};
    if (::fstat(fd, &st) != 0) throw FIX::ConfigError(where() + ": stat: " + std::strerror(errno));
    const auto size = static_cast<size_t>(st.st_size);
    dense.clear();
    sparse.clear();
    nextSender = nextTarget = fileSender = 1;
    creationMicros = 0;
    end = 0;
    broken = false;
    if (size == 0) {
      truncateAll();
      return;
    }
    void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED) throw FIX::ConfigError(where() + ": mmap: " + std::strerror(errno));
    const std::string_view data(static_cast<const char*>(map), size);
    struct Unmap {
      void* p;
      size_t n;
      ~Unmap() { ::munmap(p, n); }
    } unmap{map, size};

    if (data.size() < kHeader.size()) {
      if (kHeader.substr(0, data.size()) != data) corrupt(0, "not a fixgw session log");
      truncateAll();  // cut short while being created
      return;
    }
    if (data.substr(0, kHeader.size()) != kHeader) corrupt(0, "not a fixgw session log");
    size_t pos = kHeader.size();
    size_t good = pos;
    bool sawCreation = false;
    while (pos < data.size()) {
      const size_t recStart = pos;
      const size_t nl = data.find('\n', pos);
      if (nl == std::string_view::npos) {
        if (data.size() - pos > kMaxLine) corrupt(static_cast<int64_t>(pos), "line too long");
        break;  // torn tail
      }
      if (nl - pos > kMaxLine) corrupt(static_cast<int64_t>(pos), "line too long");
      const char type = data[pos];
      const std::string_view rest = data.substr(pos + 1, nl - pos - 1);
      int64_t v[2] = {0, 0};
      pos = nl + 1;
      if (type == 'M') {
        if (!parseNumbers(rest, 2, v) || v[0] < 1 || v[0] > std::numeric_limits<int>::max() ||
            v[1] < 0 || static_cast<uint64_t>(v[1]) > kMaxMessage) {
          corrupt(static_cast<int64_t>(recStart), "bad message record header");
        }
        const auto len = static_cast<size_t>(v[1]);
        if (data.size() - pos < len + 1) {
          pos = recStart;
          break;  // torn tail
        }
        if (data[pos + len] != '\n') {
          corrupt(static_cast<int64_t>(recStart), "message record not terminated");
        }
        const int seq = static_cast<int>(v[0]);
        index(seq, Entry{static_cast<int64_t>(pos), static_cast<uint32_t>(len)});
        if (seq >= fileSender) fileSender = seq + 1;
        nextSender = fileSender;
        pos += len + 1;
      } else if (type == 'S' || type == 'T') {
        if (!parseNumbers(rest, 1, v) || v[0] < 1 || v[0] > std::numeric_limits<int>::max()) {
          corrupt(static_cast<int64_t>(recStart), "bad sequence number record");
        }
        if (type == 'S') {
          nextSender = fileSender = static_cast<int>(v[0]);
        } else {
          nextTarget = static_cast<int>(v[0]);
        }
      } else if (type == 'C') {
        if (!parseNumbers(rest, 1, v)) corrupt(static_cast<int64_t>(recStart), "bad creation time");
        creationMicros = v[0];
        sawCreation = true;
      } else {
        corrupt(static_cast<int64_t>(recStart), std::string("unknown record type '") + type + "'");
      }
      good = pos;
    }
    if (!sawCreation) {
      if (good == kHeader.size()) {
        truncateAll();
        return;
      }
      corrupt(static_cast<int64_t>(kHeader.size()), "no creation time");
    }
    if (good < data.size() && ::ftruncate(fd, static_cast<off_t>(good)) != 0) {
      throw FIX::ConfigError(where() + ": cutting off a torn last record: " + std::strerror(errno));
    }
    end = static_cast<int64_t>(good);
  }
};

std::string AppendFileStore::fileName(const FIX::SessionID& id) {
  std::string name = id.getBeginString().getValue() + "-" + id.getSenderCompID().getValue() + "-" +
                     id.getTargetCompID().getValue();
  if (!id.getSessionQualifier().empty()) name += "-" + id.getSessionQualifier();
  for (char& c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) c = '_';
  }
  return name + ".fixlog";
}

AppendFileStore::AppendFileStore(const std::string& dir, const FIX::SessionID& id, bool corkable)
    : impl_(std::make_shared<Impl>()) {
  Impl& m = *impl_;
  m.corkable = corkable;
  m.group = id.toString();
  m.path = (std::filesystem::path(dir) / fileName(id)).string();
  m.fd = ::open(m.path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (m.fd < 0) throw FIX::ConfigError(m.where() + ": open: " + std::strerror(errno));
  m.load();  // on a throw the Impl's destructor closes fd
}

AppendFileStore::~AppendFileStore() {
  // The Impl (and its descriptor) may outlive this in a corked round; what is
  // pending is written now, while the store still exists.
  impl_->flushCorked();
}

const std::string& AppendFileStore::path() const { return impl_->path; }

bool AppendFileStore::set(int msgSeqNum, const std::string& message) {
  Impl& m = *impl_;
  std::lock_guard lk(m.mu);
  if (msgSeqNum < 1)
    throw FIX::IOException(m.where() + ": MsgSeqNum " + std::to_string(msgSeqNum) +
                           " is not positive");
  m.buf.clear();
  m.buf += "M ";
  appendInt(m.buf, msgSeqNum);
  m.buf += ' ';
  appendInt(m.buf, static_cast<int64_t>(message.size()));
  m.buf += '\n';
  // The records before it (written or pending) come first in the file.
  const int64_t bodyOffset =
      m.end + static_cast<int64_t>(m.pending.size()) + static_cast<int64_t>(m.buf.size());
  m.buf += message;
  m.buf += '\n';
  m.emit(impl_);
  m.index(msgSeqNum, Impl::Entry{bodyOffset, static_cast<uint32_t>(message.size())});
  if (msgSeqNum >= m.fileSender) m.fileSender = msgSeqNum + 1;
  return true;
}

void AppendFileStore::get(int begin, int end, std::vector<std::string>& out) const {
  Impl& m = *impl_;
  std::lock_guard lk(m.mu);
  m.writePending();  // a resend reads what a corked round has not written yet
  for (int seq = begin; seq <= end && seq >= 1; ++seq) {
    const Impl::Entry* e = m.find(seq);
    if (e == nullptr) continue;
    std::string msg(e->len, '\0');
    size_t got = 0;
    while (got < msg.size()) {
      const ssize_t n = ::pread(m.fd, msg.data() + got, msg.size() - got,
                                static_cast<off_t>(e->offset) + static_cast<off_t>(got));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) m.ioFail("read of MsgSeqNum " + std::to_string(seq), errno);
      if (n == 0) m.ioFail("read of MsgSeqNum " + std::to_string(seq), EIO);
      got += static_cast<size_t>(n);
    }
    out.push_back(std::move(msg));
    if (seq == std::numeric_limits<int>::max()) break;
  }
}

int AppendFileStore::getNextSenderMsgSeqNum() const {
  std::lock_guard lk(impl_->mu);
  return impl_->nextSender;
}
int AppendFileStore::getNextTargetMsgSeqNum() const {
  std::lock_guard lk(impl_->mu);
  return impl_->nextTarget;
}

void AppendFileStore::setNextSenderMsgSeqNum(int value) {
  Impl& m = *impl_;
  std::lock_guard lk(m.mu);
  setSenderLocked(value);
}

void AppendFileStore::setSenderLocked(int value) {
  Impl& m = *impl_;
  if (value != m.fileSender) {
    m.writeNumberRecord(impl_, 'S', value);
    m.fileSender = value;
  }
  m.nextSender = value;
}

void AppendFileStore::setNextTargetMsgSeqNum(int value) {
  Impl& m = *impl_;
  std::lock_guard lk(m.mu);
  m.writeNumberRecord(impl_, 'T', value);
  m.nextTarget = value;
}

void AppendFileStore::incrNextSenderMsgSeqNum() {
  std::lock_guard lk(impl_->mu);
  setSenderLocked(impl_->nextSender + 1);
}

void AppendFileStore::incrNextTargetMsgSeqNum() {
  Impl& m = *impl_;
  std::lock_guard lk(m.mu);
  m.writeNumberRecord(impl_, 'T', m.nextTarget + 1);
  m.nextTarget = m.nextTarget + 1;
}

FIX::UtcTimeStamp AppendFileStore::getCreationTime() const {
  std::lock_guard lk(impl_->mu);
  return fromMicros(impl_->creationMicros);
}

void AppendFileStore::reset() {
  std::lock_guard lk(impl_->mu);
  impl_->pending.clear();  // the old sequence is gone with the file's contents
  impl_->truncateAll();
}

void AppendFileStore::refresh() {
  std::lock_guard lk(impl_->mu);
  try {
    impl_->writePending();
    impl_->load();
  } catch (const FIX::ConfigError& e) {
    throw FIX::IOException(e.what());
  }
}

AppendFileStoreFactory::AppendFileStoreFactory(std::string dir, bool corkable)
    : dir_(std::move(dir)), corkable_(corkable) {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) {
    throw FIX::ConfigError("fixgw append store: cannot create directory " + dir_ + ": " +
                           ec.message());
  }
}

FIX::MessageStore* AppendFileStoreFactory::create(const FIX::SessionID& id) {
  return new AppendFileStore(dir_, id, corkable_);
}

void AppendFileStoreFactory::destroy(FIX::MessageStore* store) { delete store; }

}  // namespace fixgw::fix

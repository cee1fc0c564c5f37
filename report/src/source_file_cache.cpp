#include "source_file_cache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace pyro::report {

namespace {

// Cuts s to at most max bytes without splitting a UTF-8 sequence, marking the cut.
void cut_line(std::string& s, size_t max) {
  if (s.size() <= max) return;
  size_t end = max;
  while (end > 0 && (static_cast<uint8_t>(s[end]) & 0xC0) == 0x80) --end;
  s.resize(end);
  s += "\xE2\x80\xA6";  // U+2026 HORIZONTAL ELLIPSIS
}

}  // namespace

const SourceText* SourceFileCache::get(const std::string& path) {
  auto it = files_.find(path);
  if (it == files_.end()) it = files_.emplace(path, load(path)).first;
  return it->second ? &*it->second : nullptr;
}

std::optional<std::string> SourceFileCache::line(const std::string& path, int32_t line_number) {
  const SourceText* text = get(path);
  if (text == nullptr || line_number <= 0) return std::nullopt;
  const size_t index = static_cast<size_t>(line_number) - 1;
  if (index >= text->lines.size()) return std::nullopt;
  return text->lines[index];
}

std::optional<SourceText> SourceFileCache::load(const std::string& path) const {
  if (path.empty() || path.front() != '/') return std::nullopt;
  // O_NONBLOCK: a FIFO named like a source file must not hang the report.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return std::nullopt;
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return std::nullopt;
  }
  std::string bytes;
  char chunk[1 << 16];
  bool more = false;
  for (;;) {
    ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      return std::nullopt;
    }
    if (n == 0) break;
    const size_t room = limits_.max_file_bytes - bytes.size();
    if (static_cast<size_t>(n) > room) {
      bytes.append(chunk, room);
      more = true;
      break;
    }
    bytes.append(chunk, static_cast<size_t>(n));
  }
  ::close(fd);

  SourceText text;
  text.truncated = more;
  size_t start = 0;
  if (bytes.compare(0, 3, "\xEF\xBB\xBF") == 0) start = 3;  // UTF-8 byte order mark
  while (start < bytes.size()) {
    if (text.lines.size() == limits_.max_lines) {
      text.truncated = true;
      break;
    }
    size_t end = bytes.find('\n', start);
    if (end == std::string::npos) end = bytes.size();
    std::string line = bytes.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    cut_line(line, limits_.max_line_bytes);
    text.lines.push_back(std::move(line));
    start = end + 1;
  }
  return text;
}

}  // namespace pyro::report

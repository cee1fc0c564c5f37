#include "atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fmt/format.h>

#include "pyrometer/temp_file.h"

namespace pyro::report {

void write_file_atomically(const std::string& path, std::string_view content) {
  if (path.empty()) throw OutputError("cannot write an output file with an empty name");
  std::string temp;
  const auto fail = [&](int err) {
    ::unlink(temp.c_str());
    throw OutputError(fmt::format("cannot write {}: {}", path, std::strerror(err)));
  };
  int fd = open_temp_beside(path, &temp);
  if (fd < 0) throw OutputError(fmt::format("cannot write {}: {}", path, std::strerror(errno)));
  size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      fail(err);
    }
    done += static_cast<size_t>(n);
  }
  if (::close(fd) != 0) fail(errno);
  if (std::rename(temp.c_str(), path.c_str()) != 0) fail(errno);
}

}  // namespace pyro::report

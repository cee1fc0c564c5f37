// The temporary file behind every atomic replace (write it, then rename it over the target),
// shared by the agent's profile writer and report/'s output files. Header-only, no
// dependencies, so report/ can use it without linking the sampler.
//
// The temporary sits next to the target (rename must not cross file systems) under a
// random name, and is created with O_EXCL: a file or symlink planted in a shared directory
// such as /tmp can neither be truncated through nor make its name predictable. Mode 0666
// minus the umask: the output gets the user's usual permissions.
#ifndef PYROMETER_TEMP_FILE_H
#define PYROMETER_TEMP_FILE_H

#include <fcntl.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <string>

namespace pyro {

// Opens a new, empty temporary file beside `target` for writing; returns the descriptor
// (and the file's name in *temp_path), or -1 with errno set.
inline int open_temp_beside(const std::string& target, std::string* temp_path) {
  for (int attempt = 0; attempt < 64; ++attempt) {
    uint64_t random = 0;
    if (getrandom(&random, sizeof random, GRND_NONBLOCK) != static_cast<ssize_t>(sizeof random)) {
      timespec ts;
      clock_gettime(CLOCK_MONOTONIC, &ts);
      random ^= (uint64_t(ts.tv_nsec) << 20) ^ uint64_t(ts.tv_sec) ^ (uint64_t(getpid()) << 40) ^
                (uint64_t(attempt) << 56);
    }
    char suffix[32];
    std::snprintf(suffix, sizeof suffix, ".tmp-%016llx", static_cast<unsigned long long>(random));
    *temp_path = target + suffix;
    int fd = ::open(temp_path->c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd >= 0 || errno != EEXIST) return fd;
  }
  errno = EEXIST;
  return -1;
}

}  // namespace pyro

#endif  // PYROMETER_TEMP_FILE_H

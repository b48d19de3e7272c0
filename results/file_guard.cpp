#include "results/file_guard.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "results/results.hpp"

namespace fb::results::detail {

namespace {

std::string errno_text(int error) {
  return std::strerror(error);
}

// An exclusive OFD lock on the whole file; false when another open file description holds a
// lock on it, throws for any other failure.
bool try_lock(int fd, const std::string& path) {
  struct flock lock {};
  lock.l_type = F_WRLCK;
  lock.l_whence = SEEK_SET;
  lock.l_start = 0;
  lock.l_len = 0;  // to the end of the file, however far it grows
  if (::fcntl(fd, F_OFD_SETLK, &lock) == 0) return true;
  const int error = errno;
  if (error == EAGAIN || error == EACCES) return false;
  throw ResultsWriteFailed(path + ": cannot lock the file: " + errno_text(error));
}

void close_fd(int& fd) noexcept {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

// A name in the target's directory that no other writer uses: hidden, with our pid and a
// counter, so that nothing else matches it and an interrupted creation is easy to spot.
std::filesystem::path temporary_name(const std::filesystem::path& target) {
  static std::atomic<unsigned> counter{0};
  std::string name(1, '.');
  name.append(target.filename().string());
  name.append(".tmp-");
  name.append(std::to_string(::getpid()));
  name.append(1, '-');
  name.append(std::to_string(counter++));
  return target.parent_path() / name;
}

std::string describe_mode(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISLNK(mode)) return "a symbolic link";
  if (S_ISCHR(mode) || S_ISBLK(mode)) return "a device";
  if (S_ISFIFO(mode)) return "a pipe";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

}  // namespace

FileGuard::FileGuard(const std::filesystem::path& target, Mode mode)
    : target_(target), hdf5_path_(target), mode_(mode) {
  const std::string name = target.string();
  struct stat st {};
  const bool exists = ::lstat(name.c_str(), &st) == 0;
  if (!exists && errno != ENOENT) {
    throw ResultsWriteFailed(name + ": " + errno_text(errno));
  }
  const bool regular = exists && S_ISREG(st.st_mode);

  if (mode == Mode::kNew && exists) {
    throw ResultsFileExists(
        name + (regular ? ": the file exists" : ": exists and is " + describe_mode(st.st_mode)));
  }
  if (mode == Mode::kReopen && !exists) {
    throw ResultsWriteFailed(name + ": no such file");
  }
  if ((mode == Mode::kReplace || mode == Mode::kReopen) && exists && !regular) {
    throw NotAResultsFile(name + ": " + describe_mode(st.st_mode) +
                          ", not a fabricbench results file");
  }

  if (exists) {
    // Lock the existing file, then make sure the name still refers to what was locked (a
    // writer that replaced it meanwhile holds the new one).
    int fd = ::open(name.c_str(), O_RDWR | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
      throw ResultsWriteFailed(name + ": cannot open the file: " + errno_text(errno));
    }
    (mode == Mode::kReopen ? fd_ : old_fd_) = fd;
    struct stat opened {};
    struct stat now {};
    if (!try_lock(fd, name) || ::fstat(fd, &opened) != 0 || ::stat(name.c_str(), &now) != 0 ||
        opened.st_dev != now.st_dev || opened.st_ino != now.st_ino) {
      close_fd(fd_);
      close_fd(old_fd_);
      throw ResultsFileInUse(name + ": in use by another fabricbench run (it holds the lock)");
    }
  }
  if (mode == Mode::kReopen) return;

  hdf5_path_ = temporary_name(target);
  fd_ = ::open(hdf5_path_.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd_ < 0) {
    const int error = errno;
    close_fd(old_fd_);
    throw ResultsWriteFailed(
        name + ": cannot create a file in '" +
        (target.parent_path().empty() ? std::string(".") : target.parent_path().string()) +
        "': " + errno_text(error));
  }
  try {
    if (!try_lock(fd_, name)) {
      throw ResultsWriteFailed(name + ": the new file was locked by someone else");
    }
  } catch (...) {
    remove_temporary();
    close_fd(fd_);
    close_fd(old_fd_);
    throw;
  }
}

FileGuard::~FileGuard() {
  remove_temporary();
  close_fd(fd_);
  close_fd(old_fd_);
}

void FileGuard::remove_temporary() noexcept {
  if (mode_ != Mode::kReopen && !published_ && hdf5_path_ != target_) {
    ::unlink(hdf5_path_.c_str());
  }
}

void FileGuard::publish() {
  if (mode_ == Mode::kReopen || published_) return;
  const std::string name = target_.string();
  if (old_fd_ >= 0) {
    // Replacing a results file we hold locked: rename over it in one step.
    if (::rename(hdf5_path_.c_str(), name.c_str()) != 0) {
      throw ResultsWriteFailed(name + ": cannot replace the file: " + errno_text(errno));
    }
    published_ = true;
    close_fd(old_fd_);
  } else {
    // A new name: link() fails when the name exists, so of two creators only one wins.
    if (::link(hdf5_path_.c_str(), name.c_str()) != 0) {
      const int error = errno;
      if (error == EEXIST) throw ResultsFileExists(name + ": the file exists");
      // File systems without hard links: a rename that refuses to replace.
      if (::renameat2(AT_FDCWD, hdf5_path_.c_str(), AT_FDCWD, name.c_str(), RENAME_NOREPLACE) !=
          0) {
        const int rename_error = errno;
        if (rename_error == EEXIST) throw ResultsFileExists(name + ": the file exists");
        throw ResultsWriteFailed(name + ": cannot create the file: " + errno_text(error));
      }
      published_ = true;
    } else {
      published_ = true;
      ::unlink(hdf5_path_.c_str());
    }
  }
  hdf5_path_ = target_;
}

std::string FileGuard::reserve(std::uint64_t bytes) const noexcept {
  struct stat st {};
  if (::fstat(fd_, &st) != 0) return errno_text(errno);
  // From the start: HDF5 may still write into unallocated gaps it left behind the end.
  const auto length = static_cast<off_t>(static_cast<std::uint64_t>(st.st_size) + bytes);
  if (::fallocate(fd_, FALLOC_FL_KEEP_SIZE, 0, length) == 0) return {};
  const int error = errno;
  if (error != EOPNOTSUPP && error != ENOSYS && error != EINVAL) return errno_text(error);
  // No preallocation here (some network file systems): check the free space instead.
  struct statvfs fs {};
  if (::fstatvfs(fd_, &fs) != 0) return {};
  const std::uint64_t free_bytes =
      static_cast<std::uint64_t>(fs.f_bavail) * static_cast<std::uint64_t>(fs.f_frsize);
  if (free_bytes >= bytes) return {};
  return errno_text(ENOSPC) + " (" + std::to_string(free_bytes) + " bytes free, " +
         std::to_string(bytes) + " needed)";
}

void FileGuard::extend_to(std::uint64_t bytes) const noexcept {
  struct stat st {};
  if (fd_ < 0 || ::fstat(fd_, &st) != 0 || static_cast<std::uint64_t>(st.st_size) >= bytes) return;
  if (::ftruncate(fd_, static_cast<off_t>(bytes)) != 0) {
    // Best effort: nothing else can be done for the file now.
  }
}

void FileGuard::release_reservation() const noexcept {
  struct stat st {};
  if (fd_ < 0 || ::fstat(fd_, &st) != 0) return;
  // Best effort: blocks kept beyond the end of the file only cost space.
  ::fallocate(fd_, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, st.st_size,
              static_cast<off_t>(1) << 40);
  if (::ftruncate(fd_, st.st_size) != 0) {
    // Nothing to do: the file's contents are complete either way.
  }
}

}  // namespace fb::results::detail

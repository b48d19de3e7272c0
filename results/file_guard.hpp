// Private: the writer's own hold on its results file, independent of HDF5's file locking.
//
// A FileGuard keeps an open-file-description (OFD) write lock on the file through a
// descriptor of its own for the writer's whole life. OFD locks do not interact with flock(),
// which is what HDF5 uses and what HDF5_USE_FILE_LOCKING=FALSE turns off, so two writers
// exclude each other whatever HDF5's setting. A new file is built under a hidden temporary
// name in the target's directory, locked before HDF5 writes to it, and only linked onto the
// target name (never replacing anything) once its root attributes are flushed; a
// replacement is renamed over the old file, which stays intact until the new one exists.
//
// The guard also reserves disk space ahead of HDF5 (fallocate beyond the end of the file,
// keeping its size), so that a full disk shows up before HDF5 starts a write it could not
// finish. Not part of the public API; include results/results.hpp instead.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace fb::results::detail {

class FileGuard {
 public:
  enum class Mode { kNew, kReplace, kReopen };

  // kNew: refuses (ResultsFileExists) when `target` exists; kReplace: refuses a target that
  // is not a regular file (NotAResultsFile) or is locked by a running writer
  // (ResultsFileInUse), and keeps the old file locked until publish(); both then create the
  // temporary file HDF5 is to create (hdf5_path()). kReopen: locks the existing regular file
  // (ResultsFileInUse when a writer holds it); HDF5 opens `target` itself.
  // Other failures (permissions, missing directory) throw ResultsWriteFailed.
  FileGuard(const std::filesystem::path& target, Mode mode);
  ~FileGuard();
  FileGuard(const FileGuard&) = delete;
  FileGuard& operator=(const FileGuard&) = delete;

  // The name HDF5 must create or open.
  const std::filesystem::path& hdf5_path() const noexcept { return hdf5_path_; }
  const std::filesystem::path& target() const noexcept { return target_; }
  // kReplace: whether there is an old file (locked by this guard) to replace.
  bool replacing() const noexcept { return old_fd_ >= 0; }

  // kNew and kReplace: gives the finished file its name. kNew throws ResultsFileExists
  // when another file took the name meanwhile (the temporary file is then removed).
  void publish();

  // Makes sure `bytes` more than the current end of the file are allocated on disk. Returns
  // "" on success, else the reason (e.g. "No space left on device"). Where the file system
  // cannot preallocate, checks that much free space instead.
  std::string reserve(std::uint64_t bytes) const noexcept;

  // Makes the file at least `bytes` long (a hole, needing no space): after a failed flush
  // that recorded a larger end of file than it managed to write, the file then still opens.
  void extend_to(std::uint64_t bytes) const noexcept;

  // Gives back what reserve() allocated beyond the end of the file (on a clean close).
  void release_reservation() const noexcept;

 private:
  void remove_temporary() noexcept;

  std::filesystem::path target_;
  std::filesystem::path hdf5_path_;
  Mode mode_;
  int fd_ = -1;      // holds the OFD lock on the file HDF5 writes
  int old_fd_ = -1;  // kReplace: holds the lock on the file being replaced until publish()
  bool published_ = false;
};

}  // namespace fb::results::detail

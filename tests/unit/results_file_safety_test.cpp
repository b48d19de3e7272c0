// Tests that a results file is never destroyed or left unreadable: a new file is created
// exclusively (one of several simultaneous creators wins, the others are refused), an existing
// file is replaced only when it is a fabricbench results file that no writer holds (whatever
// HDF5_USE_FILE_LOCKING says), a failed creation leaves nothing behind, readers see only rows
// the writer committed, and on a full disk the sink stops with a message naming the file while
// everything flushed before still reads and --resume continues it.
#include <sys/mount.h>
#include <sys/resource.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include "harness/sinks.hpp"
#include "tests/unit/results_test_support.hpp"

namespace fb::results {
namespace {
using namespace results_test;  // NOLINT(google-build-using-namespace): the tests' own helpers

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

// A results file with one series of `points` points.
void write_results(const fs::path& path, std::size_t points, const std::string& series = "s") {
  const SeriesInfo info = make_info("allreduce", 4, {});
  Hdf5Writer writer(path, make_run(2));
  const std::size_t s = writer.begin_series(series, info);
  for (std::size_t i = 0; i < points; ++i) {
    const Point p = make_point(64u << i, 4, info.busbw_factor, 0);
    writer.append_point(s, p.record, p.samples);
  }
  writer.set_status("complete");
}

std::vector<std::string> directory_entries(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir))
    names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

// Sets an environment variable for its lifetime.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    ::setenv(name, value, 1);
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST_F(ResultsTest, CreateRefusesAnExistingFileAndLeavesItAlone) {
  const fs::path notes = dir_ / "notes.txt";
  write_text(notes, "my notes\n");
  const std::string message = runtime_error_message([&] { Hdf5Writer writer(notes, make_run(1)); });
  EXPECT_TRUE(contains(message, notes.string() + ": the file exists")) << message;
  EXPECT_THROW(Hdf5Writer(notes, make_run(1)), ResultsFileExists);
  EXPECT_EQ(read_text(notes), "my notes\n");

  const fs::path results = dir_ / "results.h5";
  write_results(results, 2);
  EXPECT_THROW(Hdf5Writer(results, make_run(1)), ResultsFileExists);
  const FileData data = read_file(results);
  ASSERT_EQ(data.series.size(), 1u);
  EXPECT_EQ(data.series[0].points.size(), 2u);
  EXPECT_EQ(data.run.status, "complete");
  EXPECT_EQ(directory_entries(dir_), (std::vector<std::string>{"notes.txt", "results.h5"}));
}

TEST_F(ResultsTest, NonRegularPathsAreRefusedInEveryMode) {
  for (const fs::path& path : {fs::path("/dev/null"), dir_}) {
    EXPECT_THROW(Hdf5Writer(path, make_run(1)), ResultsFileExists) << path;
    EXPECT_THROW(Hdf5Writer(path, make_run(1), Hdf5Writer::Create::kReplace), NotAResultsFile)
        << path;
    EXPECT_THROW(Hdf5Writer(path, Hdf5Writer::Append{}), NotAResultsFile) << path;
  }
  const std::string message =
      runtime_error_message([] { Hdf5Writer writer("/dev/null", make_run(1)); });
  EXPECT_EQ(message, "/dev/null: exists and is a device");
  EXPECT_TRUE(directory_entries(dir_).empty());
}

TEST_F(ResultsTest, ReplaceRefusesFilesThatAreNotResultsFiles) {
  const fs::path notes = dir_ / "notes.txt";
  write_text(notes, "my notes\n");
  const std::string message = runtime_error_message(
      [&] { Hdf5Writer writer(notes, make_run(1), Hdf5Writer::Create::kReplace); });
  EXPECT_EQ(message, notes.string() + ": not an HDF5 file, so not a fabricbench results file");
  EXPECT_EQ(read_text(notes), "my notes\n");

#ifdef FB_RESULTS_TEST_HAVE_HDF5
  // Someone else's HDF5 file.
  const fs::path foreign = dir_ / "foreign.h5";
  {
    const hid_t file = H5Fcreate(foreign.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    ASSERT_GE(file, 0);
    const hid_t space = H5Screate(H5S_SCALAR);
    const hid_t attribute =
        H5Acreate2(file, "schema_version", H5T_STD_I64LE, space, H5P_DEFAULT, H5P_DEFAULT);
    const std::int64_t value = 2;
    ASSERT_GE(H5Awrite(attribute, H5T_NATIVE_INT64, &value), 0);
    H5Aclose(attribute);
    H5Sclose(space);
    H5Fclose(file);
  }
  const std::string before = read_text(foreign);
  EXPECT_THROW(Hdf5Writer(foreign, make_run(1), Hdf5Writer::Create::kReplace), NotAResultsFile);
  EXPECT_THROW(Hdf5Writer(foreign, Hdf5Writer::Append{}), NotAResultsFile);
  EXPECT_EQ(read_text(foreign), before);
#endif
  EXPECT_TRUE(fs::is_regular_file(notes));
}

TEST_F(ResultsTest, ReplaceReplacesAResultsFile) {
  const fs::path path = dir_ / "r.h5";
  write_results(path, 3);
  RunInfo run = make_run(1);
  run.command_line = "the second run";
  {
    Hdf5Writer writer(path, run, Hdf5Writer::Create::kReplace);
    // Until the replacement is closed the old name already shows the new file.
    EXPECT_EQ(read_file(path).run.command_line, "the second run");
  }
  const FileData data = read_file(path);
  EXPECT_EQ(data.run.command_line, "the second run");
  EXPECT_TRUE(data.series.empty());
  EXPECT_EQ(directory_entries(dir_), std::vector<std::string>{"r.h5"});
  // A missing file is simply created.
  Hdf5Writer fresh(dir_ / "new.h5", run, Hdf5Writer::Create::kReplace);
  EXPECT_TRUE(fs::is_regular_file(dir_ / "new.h5"));
}

// A file a writer holds is refused for replacing and for resuming, also when HDF5's own file
// locking is off, and the holder finishes its file undisturbed.
TEST_F(ResultsTest, HeldFileIsRefusedWhateverHdf5LockingSays) {
  for (const char* locking : {"TRUE", "FALSE"}) {
    ScopedEnv env("HDF5_USE_FILE_LOCKING", locking);
    const fs::path path = dir_ / (std::string("held-") + locking + ".h5");
    const SeriesInfo info = make_info("allreduce", 4, {});
    const Point first = make_point(64, 4, info.busbw_factor, 0);
    const Point second = make_point(128, 4, info.busbw_factor, 0);
    {
      Hdf5Writer holder(path, make_run(2));
      const std::size_t s = holder.begin_series("s", info);
      holder.append_point(s, first.record, first.samples);
      const std::string message = runtime_error_message(
          [&] { Hdf5Writer writer(path, make_run(1), Hdf5Writer::Create::kReplace); });
      EXPECT_EQ(message, path.string() + ": in use by another fabricbench run (it holds the lock)");
      EXPECT_THROW(Hdf5Writer(path, make_run(1), Hdf5Writer::Create::kReplace), ResultsFileInUse);
      EXPECT_THROW(Hdf5Writer(path, Hdf5Writer::Append{}), ResultsFileInUse);
      EXPECT_THROW(Hdf5Writer(path, make_run(1)), ResultsFileExists);
      holder.append_point(s, second.record, second.samples);
      holder.set_status("complete");
    }
    const FileData data = read_file(path);
    ASSERT_EQ(data.series.size(), 1u) << locking;
    ASSERT_EQ(data.series[0].points.size(), 2u) << locking;
    expect_same_point(data.series[0].points[1], second.record);
    EXPECT_EQ(data.run.status, "complete");
    // Released with the writer.
    EXPECT_NO_THROW(Hdf5Writer(path, Hdf5Writer::Append{}));
  }
}

// Several processes create the same file at once: exactly one wins, the others are refused,
// and no temporary file is left.
TEST_F(ResultsTest, OneOfSimultaneousCreatorsWins) {
  const fs::path path = dir_ / "race.h5";
  int start[2];
  ASSERT_EQ(::pipe(start), 0);
  std::vector<pid_t> children;
  for (int i = 0; i < 6; ++i) {
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      ::close(start[1]);
      char go = 0;
      if (::read(start[0], &go, 1) != 0) ::_exit(4);  // wait until the parent closes the pipe
      int code = 0;
      try {
        RunInfo run = make_run(1);
        run.command_line = "creator " + std::to_string(i);
        Hdf5Writer writer(path, run);
        writer.set_status("complete");
      } catch (const ResultsFileExists&) {
        code = 1;
      } catch (...) {
        code = 2;
      }
      ::_exit(code);
    }
    children.push_back(child);
  }
  ::close(start[0]);
  ::close(start[1]);  // all children start now
  int winners = 0;
  int refused = 0;
  for (const pid_t child : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status)) << status;
    winners += WEXITSTATUS(status) == 0 ? 1 : 0;
    refused += WEXITSTATUS(status) == 1 ? 1 : 0;
  }
  EXPECT_EQ(winners, 1);
  EXPECT_EQ(refused, 5);
  EXPECT_EQ(read_file(path).run.status, "complete");
  EXPECT_EQ(directory_entries(dir_), std::vector<std::string>{"race.h5"});
}

TEST_F(ResultsTest, FailedCreationLeavesNothingBehind) {
  // A directory that does not exist.
  const fs::path missing = dir_ / "no-such-dir" / "r.h5";
  const std::string message = runtime_error_message([&] { Hdf5Writer w(missing, make_run(1)); });
  EXPECT_EQ(message, missing.string() + ": cannot create a file in '" +
                         missing.parent_path().string() + "': No such file or directory");
  EXPECT_THROW(Hdf5Writer(missing, make_run(1)), ResultsWriteFailed);

  // Writes that fail (the file size limit stands in for a disk that fails HDF5's writes): in
  // a child process, whose limit does not outlive it, and which ends through exit() so that
  // HDF5's clean-up of a file whose flush failed is exercised too.
  const fs::path path = dir_ / "r.h5";
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    std::signal(SIGXFSZ, SIG_IGN);
    const rlimit limit{512, 512};
    ::setrlimit(RLIMIT_FSIZE, &limit);
    int code = 0;
    try {
      Hdf5Writer writer(path, make_run(1));
      code = 1;
    } catch (const ResultsWriteFailed& e) {
      const std::string what = e.what();
      code =
          what.rfind(path.string() + ": ", 0) == 0 && contains(what, std::strerror(EFBIG)) ? 0 : 2;
    } catch (...) {
      code = 3;
    }
    std::exit(code);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0) << "1: created, 2: wrong message, 3: wrong exception";
  EXPECT_TRUE(directory_entries(dir_).empty());
}

#ifdef FB_RESULTS_TEST_HAVE_HDF5
// Appends one row to every dataset of /series/<name> without committing it, as a writer
// stopped inside its flush would leave it.
void append_uncommitted_row(const fs::path& path, const std::string& name, std::uint64_t iterations,
                            bool drop_committed_rows) {
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  ASSERT_GE(file, 0);
  for (const char* dataset_name : {"points", "samples"}) {
    const hid_t dataset =
        H5Dopen2(file, ("/series/" + name + "/" + dataset_name).c_str(), H5P_DEFAULT);
    ASSERT_GE(dataset, 0);
    hid_t space = H5Dget_space(dataset);
    hsize_t dims[2] = {0, 0};
    const int rank = H5Sget_simple_extent_dims(space, dims, nullptr);
    H5Sclose(space);
    const hsize_t row = dims[0];
    dims[0] = row + 1;
    ASSERT_GE(H5Dset_extent(dataset, dims), 0);
    if (std::string(dataset_name) == "points") {
      if (drop_committed_rows) {
        ASSERT_GE(H5Adelete(dataset, "committed_rows"), 0);
      }
      // Only the iterations field: the rest of the row stays zero.
      const hid_t type = H5Tcreate(H5T_COMPOUND, sizeof(std::uint64_t));
      H5Tinsert(type, "iterations", 0, H5T_NATIVE_UINT64);
      space = H5Dget_space(dataset);
      const hsize_t start[1] = {row};
      const hsize_t count[1] = {1};
      H5Sselect_hyperslab(space, H5S_SELECT_SET, start, nullptr, count, nullptr);
      const hid_t memory = H5Screate_simple(1, count, nullptr);
      ASSERT_GE(H5Dwrite(dataset, type, memory, space, H5P_DEFAULT, &iterations), 0);
      H5Sclose(memory);
      H5Sclose(space);
      H5Tclose(type);
    }
    (void)rank;
    H5Dclose(dataset);
  }
  H5Fclose(file);
}
#endif

// Rows become visible only once committed; --resume then measures such a point again.
TEST_F(ResultsTest, ReadersSeeOnlyCommittedRows) {
#ifndef FB_RESULTS_TEST_HAVE_HDF5
  GTEST_SKIP() << "needs hdf5.h to damage a file";
#else
  const fs::path path = dir_ / "c.h5";
  write_results(path, 2);
  append_uncommitted_row(path, "s", 4, false);
  FileData data = read_file(path);
  ASSERT_EQ(data.series[0].points.size(), 2u);
  EXPECT_EQ(data.series[0].samples_us.size(), 2u);

  // Resuming writes the point again in the uncommitted row's place.
  const SeriesInfo info = make_info("allreduce", 4, {});
  const Point again = make_point(256, 4, info.busbw_factor, 0);
  {
    Hdf5Writer writer(path, Hdf5Writer::Append{});
    const std::size_t s = writer.begin_series("s", info);
    writer.append_point(s, again.record, again.samples);
    writer.set_status("complete");
  }
  data = read_file(path);
  ASSERT_EQ(data.series[0].points.size(), 3u);
  expect_same_point(data.series[0].points[2], again.record);
  EXPECT_EQ(data.series[0].samples_us[2], again.samples);

  // A file written before committed_rows existed: a trailing row that was extended but never
  // written (iterations 0) is not a point.
  const fs::path old = dir_ / "old.h5";
  write_results(old, 2);
  append_uncommitted_row(old, "s", 0, true);
  EXPECT_EQ(read_file(old).series[0].points.size(), 2u);
#endif
}

// A full disk (a small tmpfs; needs root to mount it): the space for the next point is
// reserved after every flush, so the failure shows before HDF5 writes a point it could not
// finish; what was flushed reads back, and once there is space again --resume continues.
TEST_F(ResultsTest, FullDiskIsCaughtByTheReservation) {
  const fs::path mount_point = dir_ / "small";
  fs::create_directories(mount_point);
  if (::geteuid() != 0) GTEST_SKIP() << "mounting a tmpfs needs root";
  if (::mount("tmpfs", mount_point.c_str(), "tmpfs", 0, "size=4m") != 0) {
    GTEST_SKIP() << "cannot mount a tmpfs here: " << std::strerror(errno);
  }
  struct Unmount {
    fs::path at;
    ~Unmount() { ::umount2(at.c_str(), MNT_DETACH); }
  } unmount{mount_point};

  const fs::path path = mount_point / "f.h5";
  const fs::path filler = mount_point / "filler";
  const SeriesInfo info = make_info("allreduce", 1000, {});  // 8 KB rows
  std::size_t written = 0;
  std::string why;
  {
    Hdf5Sink sink(path.string(), make_run(2));
    sink.begin_series({"s", info});
    for (; written < 3; ++written) {
      const Point p = make_point(64u + written, 1000, 1.0, 0);
      sink.point({p.record, p.samples});
    }
    ASSERT_EQ(sink.failure(), "");
    // Take every free block.
    {
      std::ofstream fill(filler, std::ios::binary);
      const std::vector<char> block(64 * 1024, 'x');
      while (fill.write(block.data(), static_cast<std::streamsize>(block.size()))) {
      }
    }
    for (; written < 100 && sink.failure().empty(); ++written) {
      const Point p = make_point(64u + written, 1000, 1.0, 0);
      sink.point({p.record, p.samples});
    }
    why = sink.failure();
  }
  EXPECT_TRUE(contains(why, path.string() + ": cannot reserve ")) << why;
  EXPECT_TRUE(contains(why, std::strerror(ENOSPC))) << why;
  // The point whose flush made the reservation fail was written completely.
  FileData data = read_file(path);
  ASSERT_EQ(data.series[0].points.size(), written);
  EXPECT_EQ(data.run.status, "running");

  fs::remove(filler);
  {
    Hdf5Writer writer(path, Hdf5Writer::Append{});
    const std::size_t s = writer.begin_series("s", info);
    const Point p = make_point(1u << 20, 1000, 1.0, 0);
    writer.append_point(s, p.record, p.samples);
    writer.set_status("complete");
  }
  data = read_file(path);
  EXPECT_EQ(data.series[0].points.size(), written + 1);
  EXPECT_EQ(data.run.status, "complete");
}

}  // namespace
}  // namespace fb::results

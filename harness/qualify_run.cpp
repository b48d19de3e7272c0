// `fabricbench qualify` under mpirun or srun.
//
//   1. collective rules: `fabricbench run` (run_sweep) measures their series into the file
//   2. p2p rules: latency, bandwidth, bibw between ranks 0 and 1 (P2PBench), per size of
//      each rule's window; link_matrix rules: the all-pairs matrix with per-entry samples
//   3. judge (analysis::evaluate); for every INCONCLUSIVE check whose rule has budget left,
//      measure its point again with more iterations into a continuation series (or matrix)
//      whose `continues` attribute names the first, which the judge pools; repeat until
//      nothing is inconclusive or the budget is spent
//   4. report: table, --json, --junit, and /verdicts/qualify.<profile> in the file
//
// Rank 0 writes the file and keeps what it wrote in memory (the judge reads that copy), and
// decides what to measure again; every rank learns the decision by broadcast.
#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "analysis/qualify_output.hpp"
#include "harness/cli/options.hpp"
#include "harness/launch.hpp"
#include "harness/output_path.hpp"
#include "harness/p2p/p2p_bench.hpp"
#include "harness/p2p/p2p_main.hpp"
#include "harness/provenance.hpp"
#include "harness/qualify_run.hpp"
#include "harness/run_control.hpp"
#include "harness/signals.hpp"
#include "harness/statistics.hpp"
#include "harness/sweep.hpp"
#include "results/results.hpp"
#include "transports/error.hpp"
#include "transports/registry.hpp"

namespace fb {

using analysis::QualifyTest;

namespace {

// The sizes measured for a window: min, 2 min, 4 min, ... and max itself.
std::vector<std::uint64_t> window_sizes(std::uint64_t min_bytes, std::uint64_t max_bytes) {
  std::vector<std::uint64_t> sizes;
  for (std::uint64_t s = std::max<std::uint64_t>(min_bytes, 1); s < max_bytes; s *= 2)
    sizes.push_back(s);
  sizes.push_back(max_bytes);
  return sizes;
}

const char* p2p_test_name(QualifyTest test) {
  switch (test) {
    case QualifyTest::p2p_latency:
      return "latency";
    case QualifyTest::p2p_bandwidth:
      return "bandwidth";
    default:
      return "bibw";
  }
}

// One measurement to make: a p2p series over some sizes, or a matrix at one size. `name` is
// the series or matrix; `continues` the one it adds samples to ("" for a first measurement).
struct Job {
  std::string kind;  // latency, bandwidth, bibw, matrix
  std::string name;
  std::string continues;
  std::int64_t iterations = 0;
  std::vector<std::uint64_t> sizes;
};

std::string encode(const std::vector<Job>& jobs) {
  std::ostringstream out;
  for (const auto& j : jobs) {
    out << j.kind << ' ' << j.name << ' ' << (j.continues.empty() ? "-" : j.continues) << ' '
        << j.iterations;
    for (const auto s : j.sizes)
      out << ' ' << s;
    out << '\n';
  }
  return out.str();
}

std::vector<Job> decode(const std::string& text) {
  std::vector<Job> jobs;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    Job j;
    fields >> j.kind >> j.name >> j.continues >> j.iterations;
    if (j.continues == "-") j.continues.clear();
    std::uint64_t s = 0;
    while (fields >> s)
      j.sizes.push_back(s);
    jobs.push_back(std::move(j));
  }
  return jobs;
}

// The first measurements the profile's p2p and matrix rules need.
std::vector<Job> first_jobs(const analysis::Profile& profile, const std::string& transport) {
  std::map<std::string, Job> p2p;
  std::map<std::uint64_t, std::int64_t> matrices;
  for (const auto& rule : profile.rules) {
    if (rule.test == QualifyTest::collective) continue;
    if (rule.test == QualifyTest::link_matrix) {
      auto& iters = matrices[rule.min_bytes];
      iters = std::max(iters, rule.iterations);
      continue;
    }
    const std::string kind = p2p_test_name(rule.test);
    auto& job = p2p[kind];
    job.kind = kind;
    job.name = kind;
    job.name.append(".").append(transport);
    job.iterations = std::max(job.iterations, rule.iterations);
    for (const auto s : window_sizes(rule.min_bytes, rule.max_bytes))
      job.sizes.push_back(s);
  }
  std::vector<Job> jobs;
  for (auto& [kind, job] : p2p) {
    std::sort(job.sizes.begin(), job.sizes.end());
    job.sizes.erase(std::unique(job.sizes.begin(), job.sizes.end()), job.sizes.end());
    jobs.push_back(std::move(job));
  }
  for (const auto& [size, iters] : matrices) {
    Job j;
    j.kind = "matrix";
    j.name = "links." + transport + (matrices.size() > 1 ? "." + std::to_string(size) : "");
    j.iterations = iters;
    j.sizes = {size};
    jobs.push_back(std::move(j));
  }
  return jobs;
}

// Rank 0: what to measure again after a judgement. Each inconclusive check with budget left
// gets as many more samples as it has (doubling), at most what its budget allows; a series
// or matrix takes the smallest such count among its inconclusive points.
std::vector<Job> more_jobs(const analysis::QualifyReport& report, int round) {
  std::map<std::string, Job> by_series;
  for (const auto& c : report.checks) {
    if (c.judgement.verdict != analysis::Verdict::inconclusive || c.budget_left <= 0 ||
        c.series.empty()) {
      continue;
    }
    const auto extra = std::min<std::int64_t>(
        c.budget_left, std::max<std::int64_t>(static_cast<std::int64_t>(c.judgement.samples), 6));
    auto& job = by_series[c.series];
    if (job.name.empty()) {
      job.kind = c.test == QualifyTest::link_matrix ? "matrix" : p2p_test_name(c.test);
      if (c.test == QualifyTest::collective) job.kind = "collective";
      job.continues = c.series;
      job.name = c.series + ".more" + std::to_string(round);
      job.iterations = extra;
    }
    job.iterations = std::min(job.iterations, extra);
    if (std::find(job.sizes.begin(), job.sizes.end(), c.size_bytes) == job.sizes.end())
      job.sizes.push_back(c.size_bytes);
  }
  std::vector<Job> jobs;
  for (auto& [series, job] : by_series) {
    std::sort(job.sizes.begin(), job.sizes.end());
    jobs.push_back(std::move(job));
  }
  return jobs;
}

// Measures the jobs; rank 0 records them in the file and in `mirror`. Returns false when the
// run must stop (a signal, a failed write).
class Measurer {
 public:
  Measurer(const QualifyOptions& o, Bootstrap& bootstrap, Transport& transport,
           results::Hdf5Writer* writer, results::FileData& mirror, RunControl& control)
      : o_(o),
        bootstrap_(bootstrap),
        transport_(transport),
        writer_(writer),
        mirror_(mirror),
        control_(control) {}

  bool run(const Job& job) { return job.kind == "matrix" ? matrix(job) : p2p(job); }
  std::int64_t wrong() const { return wrong_; }

 private:
  P2PConfig config(std::int64_t iterations) const {
    P2PConfig c;
    c.iters = iterations;
    c.warmup = o_.warmup;
    c.window = o_.window;
    c.timeout = std::chrono::milliseconds(static_cast<std::int64_t>(o_.timeout_s * 1000));
    return c;
  }

  template <typename Write>
  void record(Write&& write) {
    if (writer_ == nullptr || !writer_->failure().empty()) return;
    try {
      write();
    } catch (const results::ResultsWriteFailed&) {
    }
  }

  bool p2p(const Job& job) {
    const bool latency = job.kind == "latency";
    const std::uint64_t max_bytes = *std::max_element(job.sizes.begin(), job.sizes.end());
    P2PBench bench(transport_, bootstrap_, config(job.iterations), max_bytes);
    results::P2PSeriesData series;
    series.name = job.name;
    auto& si = series.info;
    si.test = job.kind;
    si.transport = o_.transport;
    si.n_ranks = bootstrap_.size();
    si.iterations = job.iterations;
    si.warmup = o_.warmup;
    si.window = latency ? 1 : o_.window;
    si.pairs = {"0-1"};
    si.continues = job.continues;
    std::size_t index = 0;
    const bool root = bootstrap_.rank() == 0;
    if (root) record([&] { index = writer_->begin_p2p_series(job.name, si); });
    for (const auto size : job.sizes) {
      if (control_.step().stop()) return false;
      results::P2PPointRecord r;
      std::vector<double> samples;
      std::int64_t wrong = 0;
      if (latency) {
        samples = bench.latency(0, 1, size, wrong);
        r = latency_record(size, samples);
      } else {
        stream_record(size, bench.stream({{0, 1}}, job.kind == "bibw", size), r, samples, wrong);
      }
      wrong_ += wrong;
      if (root) {
        record([&] { writer_->append_p2p_point(index, r, samples); });
        series.points.push_back(r);
        series.samples_us.push_back(samples);
        if (latency) {
          std::printf("# measured %s %s: median %.3f us (%zu samples)\n", job.name.c_str(),
                      analysis::format_bytes(size).c_str(), r.lat_p50_us, samples.size());
        } else {
          std::printf("# measured %s %s: %.4g GB/s (%.4g Gb/s, %zu samples)\n", job.name.c_str(),
                      analysis::format_bytes(size).c_str(), r.bw_GBps, r.bw_GBps * 8,
                      samples.size());
        }
        std::fflush(stdout);
      }
    }
    if (root) mirror_.p2p_series.push_back(std::move(series));
    return true;
  }

  bool matrix(const Job& job) {
    if (control_.step().stop()) return false;
    const std::uint64_t size = job.sizes.front();
    P2PBench bench(transport_, bootstrap_, config(job.iterations),
                   std::max<std::uint64_t>(size, 8));
    const auto m = bench.matrix(8, size, job.iterations, job.iterations);
    wrong_ += m.wrong;
    if (bootstrap_.rank() != 0) return true;
    results::LinkMatrix lm;
    lm.transport = o_.transport;
    lm.n_ranks = bootstrap_.size();
    lm.hostnames = mirror_.run.hostnames;
    lm.latency_bytes = 8;
    lm.bandwidth_bytes = size;
    lm.latency_us = m.latency_us;
    lm.bandwidth_GBps = m.bandwidth_GBps;
    lm.iterations = job.iterations;
    lm.window = o_.window;
    lm.latency_samples_us = m.latency_samples_us;
    lm.bandwidth_samples_us = m.bandwidth_samples_us;
    lm.continues = job.continues;
    lm.line_rate_Gbps = 0;
    record([&] { writer_->write_matrix(job.name, lm); });
    std::printf("# measured %s at %s: %" PRId64 " samples per link\n", job.name.c_str(),
                analysis::format_bytes(size).c_str(), job.iterations);
    std::fflush(stdout);
    mirror_.matrices.emplace_back(job.name, std::move(lm));
    return true;
  }

  const QualifyOptions& o_;
  Bootstrap& bootstrap_;
  Transport& transport_;
  results::Hdf5Writer* writer_;
  results::FileData& mirror_;
  RunControl& control_;
  std::int64_t wrong_ = 0;
};

// `fabricbench run` options for the collective series of the profile (one sweep per rule),
// or for re-measuring `sizes` of one with `iterations`.
std::vector<std::string> run_arguments(const analysis::QualifyRule& rule, const QualifyOptions& o,
                                       const std::string& out, std::uint64_t min_bytes,
                                       std::uint64_t max_bytes, std::int64_t iterations) {
  return {"fabricbench",  "run",
          "--collective", rule.collective,
          "--algorithm",  rule.algorithm,
          "--transport",  o.transport,
          "--dtype",      rule.dtype,
          "-b",           std::to_string(min_bytes),
          "-e",           std::to_string(max_bytes),
          "-n",           std::to_string(iterations),
          "-w",           std::to_string(o.warmup),
          "--progress",   "off",
          "--out",        out};
}

// Runs one collective sweep into `out` (a new file); returns the exit code.
int sweep_into(const std::vector<std::string>& arguments, Bootstrap& bootstrap,
               FaultReporter& faults) {
  std::vector<const char*> argv;
  argv.reserve(arguments.size());
  for (const auto& a : arguments)
    argv.push_back(a.c_str());
  auto outcome = parse_command_line(static_cast<int>(argv.size()), argv.data());
  if (!outcome.options) {
    if (bootstrap.rank() == 0) std::fprintf(stderr, "%s\n", outcome.message.c_str());
    return kExitBadInput;
  }
  outcome.options->command_line = "fabricbench qualify (collective part)";
  return run_sweep(*outcome.options, bootstrap, faults);
}

}  // namespace

int report_verdicts(const analysis::QualifyReport& report, const QualifyOptions& options,
                    const std::string& results_file) {
  std::printf("%s", analysis::format_verdict_table(report).c_str());
  std::fflush(stdout);
  auto write = [](const std::string& path, const std::string& text, const char* what) {
    std::ofstream out(path, std::ios::trunc);
    out << text;
    out.close();
    if (!out) {
      std::fprintf(stderr, "fabricbench: error: %s: cannot write %s\n", what, path.c_str());
      return false;
    }
    return true;
  };
  if (!options.json.empty() &&
      !write(options.json, analysis::verdicts_json(report, results_file).dump(2) + "\n",
             "--json")) {
    return kExitResultsFile;
  }
  if (!options.junit.empty() &&
      !write(options.junit, analysis::verdicts_junit(report), "--junit")) {
    return kExitResultsFile;
  }
  switch (report.overall) {
    case analysis::Verdict::pass:
    case analysis::Verdict::warn:
      return kExitOk;
    case analysis::Verdict::fail:
      return kExitVerdictFail;
    case analysis::Verdict::inconclusive:
      return kExitInconclusive;
  }
  return kExitFailure;
}

int run_qualify(const QualifyOptions& o, const analysis::Profile& profile, Bootstrap& bootstrap,
                FaultReporter& faults) {
  const int rank = bootstrap.rank();
  const int n = bootstrap.size();
  bool needs_pair = false;
  std::vector<const analysis::QualifyRule*> collective_rules;
  for (const auto& rule : profile.rules) {
    if (rule.test == QualifyTest::collective) {
      collective_rules.push_back(&rule);
    } else {
      needs_pair = true;
    }
  }
  if (needs_pair && n < 2) {
    if (rank == 0) {
      std::fprintf(stderr,
                   "fabricbench: error: the profile's p2p and link rules need at least 2 "
                   "ranks (this job has 1)\n");
    }
    return kExitBadInput;
  }
  const auto info = collect_run_info(bootstrap, o.command_line);
  std::string path = o.out.empty() ? std::string() : o.out;
  if (rank == 0 && path.empty()) path = default_output_path();
  path = broadcast_string(bootstrap, path);

  results::FileData mirror;
  mirror.run = info;

  // 1. Collective series, through `fabricbench run`: it creates the file.
  bool file_made = false;
  for (std::size_t i = 0; i < collective_rules.size(); ++i) {
    const auto& rule = *collective_rules[i];
    const std::string target = i == 0 ? path : path + ".part" + std::to_string(i);
    auto args = run_arguments(rule, o, target, rule.min_bytes, rule.max_bytes, rule.iterations);
    if (i == 0 && o.overwrite) args.emplace_back("--overwrite");
    const int code = sweep_into(args, bootstrap, faults);
    if (code != kExitOk) return code;
    file_made = true;
    if (rank == 0 && i > 0) {
      // Later rules' series join the first file below (copied with the writer).
      auto part = results::read_file(target);
      for (auto& s : part.series)
        mirror.series.push_back(std::move(s));
      std::filesystem::remove(target);
    }
  }

  // 2. The file: reopened after the collective part, else created here.
  std::unique_ptr<results::Hdf5Writer> writer;
  std::vector<std::int64_t> verdict{kExitOk};
  if (rank == 0) {
    std::vector<results::SeriesData> copied;
    if (file_made) {
      auto data = results::read_file(path);
      copied = std::move(mirror.series);
      mirror.series = std::move(data.series);
    }
    const auto mode =
        o.overwrite ? results::Hdf5Writer::Create::kReplace : results::Hdf5Writer::Create::kNew;
    verdict[0] = open_results_file(
        {path, file_made, o.overwrite},
        [&](const std::string& file) {
          writer = file_made ? std::make_unique<results::Hdf5Writer>(
                                   file, results::Hdf5Writer::Append{o.command_line})
                             : std::make_unique<results::Hdf5Writer>(file, info, mode);
        },
        path);
    if (verdict[0] == kExitOk) {
      for (auto& s : copied) {
        const auto index = writer->begin_series(s.name, s.info);
        for (std::size_t p = 0; p < s.points.size(); ++p)
          writer->append_point(index, s.points[p], s.samples_us[p]);
        mirror.series.push_back(std::move(s));
      }
    }
  }
  bootstrap.allreduce_sum(verdict);
  if (verdict[0] != kExitOk) return static_cast<int>(verdict[0]);

  std::unique_ptr<Transport> transport;
  auto jobs = first_jobs(profile, o.transport);
  if (!jobs.empty()) transport = find_transport(o.transport)->create(bootstrap);
  RunControl control(bootstrap,
                     [&] { return rank == 0 && writer ? writer->failure() : std::string(); });
  faults.set_linger_limit(std::chrono::milliseconds(static_cast<std::int64_t>(o.timeout_s * 1000)) +
                          std::chrono::seconds(7));
  if (rank == 0) {
    std::printf("# fabricbench qualify %s (%s)  profile %s  ranks %d  transport %s\n# %s\n",
                info.tool_version.c_str(), info.git_revision.c_str(), profile.name.c_str(), n,
                o.transport.c_str(), info.command_line.c_str());
    faults.set_on_fatal([&writer](const std::string& why) {
      if (writer) writer->set_status(why);
    });
  }
  std::unique_ptr<Measurer> measurer;
  if (transport) {
    measurer = std::make_unique<Measurer>(o, bootstrap, *transport, writer.get(), mirror, control);
  }
  analysis::QualifyReport report;
  bool stopped = false;
  try {
    for (int round = 1;; ++round) {
      for (const auto& job : jobs) {
        if (job.kind == "collective") {
          const auto* rule = collective_rules.front();
          for (const auto* r : collective_rules) {
            if (job.continues.rfind(r->collective + "." + r->algorithm + ".", 0) == 0) rule = r;
          }
          const std::string part = path + ".part-" + job.name;
          const int code = sweep_into(
              run_arguments(*rule, o, part, job.sizes.front(), job.sizes.back(), job.iterations),
              bootstrap, faults);
          if (code != kExitOk) return code;
          if (rank == 0) {
            auto data = results::read_file(part);
            std::filesystem::remove(part);
            for (auto& s : data.series) {
              if (s.name != job.continues) continue;
              s.name = job.name;
              s.info.continues = job.continues;
              const auto index = writer->begin_series(s.name, s.info);
              for (std::size_t p = 0; p < s.points.size(); ++p)
                writer->append_point(index, s.points[p], s.samples_us[p]);
              mirror.series.push_back(std::move(s));
            }
          }
          continue;
        }
        if (!measurer->run(job)) {
          stopped = true;
          break;
        }
      }
      if (stopped) break;
      std::string next;
      if (rank == 0) {
        std::sort(mirror.p2p_series.begin(), mirror.p2p_series.end(),
                  [](const auto& a, const auto& b) { return a.name < b.name; });
        report = analysis::evaluate(profile, mirror, o.transport);
        next = encode(more_jobs(report, round));
        if (!next.empty()) {
          std::printf("# inconclusive checks: measuring again (round %d)\n", round);
          std::fflush(stdout);
        }
      }
      jobs = decode(broadcast_string(bootstrap, next));
      if (jobs.empty()) break;
    }
  } catch (const TransportError& e) {
    faults.fatal(e.what());
  }
  faults.set_on_fatal({});

  const auto& now = control.step();
  int code = kExitOk;
  if (rank == 0) {
    if (now.results_failed) {
      std::fprintf(stderr, "fabricbench: error: cannot write the results file: %s\n",
                   writer->failure().c_str());
      code = kExitResultsFile;
    } else if (now.signal != 0 || stopped) {
      writer->set_status("interrupted by " + signal_name(now.signal));
      std::fprintf(stderr, "fabricbench: interrupted by %s; no verdict\n",
                   signal_name(now.signal).c_str());
      code = kExitInterrupted;
    } else if (measurer && measurer->wrong() > 0) {
      writer->set_status("complete");
      std::fprintf(stderr, "fabricbench: error: %" PRId64 " payload bytes arrived wrong\n",
                   measurer->wrong());
      code = kExitWrongResult;
    } else {
      try {
        writer->write_verdicts(
            "qualify." + profile.name,
            analysis::verdict_set(report, utc_timestamp_iso8601(), o.command_line));
        writer->set_status("complete");
      } catch (const std::exception& e) {
        std::fprintf(stderr, "fabricbench: error: cannot record the verdicts: %s\n", e.what());
        code = kExitResultsFile;
      }
      std::printf("#\n# results: %s\n", path.c_str());
      const int verdict_code = report_verdicts(report, o, path);
      if (code == kExitOk) code = verdict_code;
    }
    writer.reset();
  }
  std::vector<std::int64_t> all{code};
  bootstrap.allreduce_sum(all);  // only rank 0 contributes
  return static_cast<int>(all[0]);
}

}  // namespace fb

// `fabricbench run`: the sweep over collectives, sizes and node subsets, from the plan to
// the results file.
#include "harness/sweep.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "gpu/error.hpp"
#include "harness/cli/options.hpp"
#include "harness/faults/fault.hpp"
#include "harness/faults/watchdog.hpp"
#include "harness/launch.hpp"
#include "harness/memory_budget.hpp"
#include "harness/output_path.hpp"
#include "harness/plan.hpp"
#include "harness/provenance.hpp"
#include "harness/rank_layout.hpp"
#include "harness/resume_check.hpp"
#include "harness/run_session.hpp"
#include "harness/runner.hpp"
#include "harness/signals.hpp"
#include "harness/sinks.hpp"
#include "harness/subsets.hpp"
#include "transports/error.hpp"

namespace {

using DonePoints = std::set<std::pair<std::string, std::uint64_t>>;

// --resume: rank 0 reads the file, checks that this command can continue it (the prepared
// series of every stage against the recorded ones) and lists the points it already has.
// Every rank gets the verdict and the list before anything is written, so a refusal leaves
// the file untouched and ends every rank at once.
struct ResumeState {
  std::string refusal;  // non-empty: cannot continue the file, and why
  DonePoints done;
};
ResumeState resume_state(fb::Bootstrap& bootstrap, const std::string& file,
                         const std::vector<fb::SeriesHeader>& planned) {
  std::string text;  // "!refusal" or "series\tsize\n" lines
  if (bootstrap.rank() == 0) {
    try {
      const auto data = fb::results::read_file(file);
      const auto why = fb::resume_mismatch(data, bootstrap.size(), planned);
      if (!why.empty()) {
        text = "!cannot resume " + file + ": " + why;
      } else {
        for (const auto& series : data.series) {
          for (const auto& point : series.points) {
            text += series.name + '\t' + std::to_string(point.size_bytes) + '\n';
          }
        }
      }
    } catch (const std::exception& e) {
      text = std::string("!cannot resume: ") + e.what();
    }
  }
  text = broadcast_string(bootstrap, std::move(text));
  ResumeState state;
  if (!text.empty() && text[0] == '!') {
    state.refusal = text.substr(1);
    return state;
  }
  std::size_t start = 0;
  while (start < text.size()) {
    const auto tab = text.find('\t', start);
    const auto end = text.find('\n', tab);
    state.done.emplace(text.substr(start, tab - start),
                       std::stoull(text.substr(tab + 1, end - tab - 1)));
    start = end + 1;
  }
  return state;
}

// One group of ranks to measure on: the whole job, or one node subset of a topology sweep.
struct Stage {
  std::optional<fb::NodeSubset> subset;  // empty: the whole job
  std::vector<fb::SeriesPlan> plan;
  fb::topo::RankOrder order = fb::topo::RankOrder::rank;
};

// A stage set up to run: its communicator (subsets) and, on its members, its runner.
struct StageRun {
  bool member = true;
  std::unique_ptr<fb::Bootstrap> sub;  // the subset's own bootstrap
  std::unique_ptr<fb::Runner> runner;  // members only
};

}  // namespace

namespace fb {

int run_sweep(const fb::RunOptions& options, fb::Bootstrap& bootstrap, fb::FaultReporter& faults) {
  const int rank = bootstrap.rank();
  auto info = fb::collect_run_info(bootstrap, options.command_line);
  std::vector<Stage> stages;
  std::size_t total_series = 0;
  fb::JobPlacement job;
  try {
    job = fb::place_job(options, info.hostnames);
    fb::choose_nics(job, bootstrap, fb::this_host_locality());
    fb::record_placement(job, info);
    fb::pin_nic(job, rank);
    const auto subsets = fb::plan_subsets(options, info.hostnames, *job.model);
    for (const auto order : options.rank_orders) {
      if (subsets.empty())
        stages.push_back({std::nullopt, fb::plan_series(options, bootstrap.size()), order});
      for (const auto& subset : subsets) {
        stages.push_back(
            {subset, fb::plan_series(options, static_cast<int>(subset.ranks.size())), order});
      }
    }
    for (const auto& stage : stages)
      total_series += stage.plan.size();
  } catch (const fb::PlanError& e) {
    // Every rank reaches the same verdict; one prints it.
    if (rank == 0) std::fprintf(stderr, "fabricbench: error: %s\n", e.what());
    return fb::kExitBadInput;
  }
  const auto sizes = fb::sweep_sizes(options);
  {
    // Will it fit? Refused with the figures before anything is allocated. What a rank needs
    // depends only on the largest size, the same in every stage.
    // Each rank order measures with buffers of its own.
    const auto shortfall = fb::check_memory(
        bootstrap, options.max_bytes * options.rank_orders.size(), stages.front().plan);
    if (!shortfall.empty()) {
      if (rank == 0) std::fprintf(stderr, "fabricbench: error: %s\n", shortfall.c_str());
      return fb::kExitBadInput;
    }
  }
  // Transport waits give up after --timeout; the watchdog catches what they cannot see
  // (a barrier or a blocking MPI call with a dead peer) a little later. Either way the rank
  // probes its peers for two seconds and exits, within --timeout + 10 s of the fault.
  fb::RunSummary summary;
  std::string path;
  std::unique_ptr<fb::Hdf5Sink> hdf5;
  fb::Watchdog watchdog(rank, options.algorithm.timeout + std::chrono::seconds(5), &faults);
  fb::FaultWiring wiring(&faults, options.algorithm.timeout);
  std::vector<fb::Sink*> sinks;
  std::unique_ptr<fb::ProgressSink> progress;
  fb::TableSink table(stdout);
  try {
    // Set up every stage: its communicator, transports and algorithms, and what each of
    // its series will record. Rank 0 is in every stage, so it sees every header.
    std::vector<StageRun> runs;
    std::vector<fb::SeriesHeader> headers;
    for (const auto& stage : stages) {
      StageRun run;
      if (stage.subset) {
        const auto& subset = *stage.subset;
        run.member = std::binary_search(subset.ranks.begin(), subset.ranks.end(), rank);
        run.sub = bootstrap.split(run.member);
      }
      if (run.member) {
        run.runner =
            std::make_unique<fb::Runner>(options, run.sub ? *run.sub : bootstrap, watchdog);
        std::string suffix = fb::rank_order_suffix(stage.order);
        fb::Parameters tags;
        if (stage.subset) {
          suffix.insert(0, stage.subset->suffix());
          tags = {{"nodes", stage.subset->nodes}, {"ranks_per_node", stage.subset->ranks_per_node}};
          if (stage.subset->placement)
            tags.emplace_back("node_placement",
                              static_cast<std::int64_t>(*stage.subset->placement));
        }
        if (options.rank_order_given) {
          tags.emplace_back("rank_order", static_cast<std::int64_t>(stage.order));
          if (stage.order == fb::topo::RankOrder::random)
            tags.emplace_back("rank_order_seed",
                              static_cast<std::int64_t>(options.rank_order_seed));
        }
        run.runner->tag_series(suffix, tags);
        std::vector<int> members;
        if (stage.subset) {
          members = stage.subset->ranks;
        } else {
          for (int r = 0; r < bootstrap.size(); ++r)
            members.push_back(r);
        }
        std::string described;
        auto layout =
            fb::group_layout(job, members, stage.order, options.rank_order_seed, described);
        if (!options.rank_order_given && !job.described) described.clear();
        run.runner->set_layout(std::move(layout), described);
        const auto& prepared = run.runner->prepare(stage.plan);
        headers.insert(headers.end(), prepared.begin(), prepared.end());
      }
      runs.push_back(std::move(run));
    }

    DonePoints done;
    if (!options.resume.empty()) {
      auto state = resume_state(bootstrap, options.resume, headers);
      if (!state.refusal.empty()) {
        if (rank == 0) std::fprintf(stderr, "fabricbench: error: %s\n", state.refusal.c_str());
        return fb::kExitBadInput;
      }
      done = std::move(state.done);
    }

    const bool resume = !options.resume.empty();
    const int opened = fb::open_results_everywhere(
        bootstrap, {resume ? options.resume : options.out, resume, options.overwrite},
        [&](const std::string& file) {
          hdf5 = resume ? std::make_unique<fb::Hdf5Sink>(file, info.command_line)
                        : std::make_unique<fb::Hdf5Sink>(file, info, options.overwrite);
        },
        path);
    if (opened != fb::kExitOk) return opened;
    if (rank == 0) {
      wiring.record_failures_with([&hdf5](const std::string& why) { hdf5->set_status(why); });
    }

    // The buffers, last: a rank that cannot allocate them ends the run on every rank, with
    // the first failing rank's reason.
    std::string no_memory;
    for (auto& run : runs) {
      if (run.runner && no_memory.empty()) no_memory = run.runner->allocate();
    }
    for (const auto& why : bootstrap.allgather_strings(no_memory)) {
      if (!why.empty()) {
        no_memory = why;
        break;
      }
    }
    if (!no_memory.empty()) {
      if (rank == 0) {
        hdf5->set_status("failed: " + no_memory);
        std::fprintf(stderr, "fabricbench: error: %s\n", no_memory.c_str());
      }
      wiring.disarm();
      return fb::kExitFailure;
    }

    if (rank == 0) {
      std::printf("# fabricbench %s (%s)  ranks %d  sizes %zu  series %zu\n# %s\n",
                  info.tool_version.c_str(), info.git_revision.c_str(), bootstrap.size(),
                  sizes.size(), total_series, info.command_line.c_str());
      if (job.described) {
        std::printf(
            "# topology %s: %zu hosts, %zu switches; rank r drives NIC (local rank mod NICs) "
            "of its host\n",
            job.model->source.c_str(), job.model->hosts.size(), job.model->switches.size());
      }
      for (const auto& stage : stages) {
        if (!stage.subset || stage.order != options.rank_orders.front()) continue;
        std::printf("# node subset %s: %zu ranks on", stage.subset->suffix().c_str() + 1,
                    stage.subset->ranks.size());
        for (const auto& host : stage.subset->hosts)
          std::printf(" %s", host.c_str());
        std::printf("\n");
      }
      if (fb::draws_progress(options.progress, rank)) {
        progress = std::make_unique<fb::ProgressSink>(total_series, sizes.size());
        sinks.push_back(progress.get());
      }
      sinks.push_back(&table);
      sinks.push_back(hdf5.get());
    }

    for (std::size_t i = 0; i < runs.size(); ++i) {
      auto& run = runs[i];
      // A node subset's ranks measure on their own communicator while the others wait.
      if (run.member) {
        const auto part = run.runner->run(sinks, done);
        summary.series += part.series;
        summary.points += part.points;
        summary.wrong += part.wrong;
        summary.skipped += part.skipped;
        summary.skipped_series += part.skipped_series;
        summary.stop_signal = part.stop_signal;
        summary.results_failed = part.results_failed;
      }
      if (runs.size() == 1) break;
      // The ranks outside the subset wait without taking the measuring ranks' cores.
      if (stages[i].subset) bootstrap.barrier_sleeping();
      // A stop seen in this stage (a signal, a failed write on rank 0) ends the whole run.
      std::vector<double> stop{static_cast<double>(summary.stop_signal),
                               summary.results_failed ? 1.0 : 0.0};
      bootstrap.allreduce_max(stop);
      summary.stop_signal = static_cast<int>(stop[0]);
      summary.results_failed = stop[1] != 0;
      if (summary.stop_signal != 0 || summary.results_failed) break;
    }
  } catch (const fb::TransportError& e) {
    // A peer failed or went silent. The transports were torn down without collectives
    // (they see the exception in flight); now name the lost peers and exit.
    faults.fatal(e.what());
  } catch (const fb::gpu::NcclError& e) {
    // NCCL reported an asynchronous error or timed out (and was aborted).
    faults.fatal(std::string("nccl: ") + e.what());
  }

  wiring.disarm();
  if (stages.front().subset) {
    // Only the members of a subset saw its results. Rank 0 is in every subset, so its
    // count is the total: take the maximum.
    std::vector<double> wrong{static_cast<double>(summary.wrong)};
    bootstrap.allreduce_max(wrong);
    summary.wrong = static_cast<std::int64_t>(wrong[0]);
  }
  progress.reset();
  std::vector<double> rss{static_cast<double>(fb::peak_rss_bytes())};
  bootstrap.allreduce_max(rss);
  if (rank == 0) {
    std::printf("#\n# %zu series, %zu points; peak resident memory per rank: %.1f MiB\n",
                summary.series, summary.points, rss[0] / (1024.0 * 1024.0));
    if (summary.skipped_series > 0) {
      std::printf("# %zu series skipped (see their 'skipped' attribute in the file)\n",
                  summary.skipped_series);
    }
    if (!options.resume.empty()) {
      std::printf("# resumed: %zu points were already in the file\n", summary.skipped);
    }
    if (options.check) {
      std::printf("# check: %lld wrong elements in total\n", static_cast<long long>(summary.wrong));
    }
    std::printf("# results: %s\n", path.c_str());
    std::fflush(stdout);
  }
  fb::RunEnd end;
  end.stop_signal = summary.stop_signal;
  end.nothing_ran = summary.series == 0 && summary.skipped_series > 0;
  end.wrong = summary.wrong;
  end.wrong_unit = "wrong elements";
  fb::RunFile file;
  file.path = path;
  file.set_status = [&hdf5](const std::string& status) { hdf5->set_status(status); };
  file.write_failed = [&] {
    // Rank 0 alone writes: every rank learns whether the last write (the status) failed.
    std::vector<double> failed{rank == 0 && !hdf5->failure().empty() ? 1.0 : 0.0};
    bootstrap.allreduce_max(failed);
    return failed[0] != 0 || summary.results_failed;
  };
  file.failure = [&hdf5] { return hdf5->failure(); };
  return fb::finish_run(end, file, rank);
}

}  // namespace fb

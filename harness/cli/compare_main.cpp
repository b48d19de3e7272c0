// `fabricbench compare A.h5 B.h5`: reads two results files, compares them (analysis/compare.hpp)
// and prints the verdicts; no MPI. See docs/ANALYSIS.md.
#include "harness/cli/compare_main.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>

#include "analysis/compare.hpp"
#include "harness/cli/options.hpp"
#include "harness/cli/size_parse.hpp"
#include "harness/number_format.hpp"
#include "results/results.hpp"

namespace fb {

namespace {

using analysis::CompareOptions;
using analysis::Comparison;
using analysis::Interval;
using analysis::Verdict;

class BadInput : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct CompareArgs {
  std::string path_a;
  std::string path_b;
  std::string json;
  bool force = false;
  CompareOptions options;
};

// "5", "5%", "2.5": a finite, non-negative percentage.
double percentage(const std::string& text, const char* flag) {
  std::string number = text;
  if (!number.empty() && number.back() == '%') number.pop_back();
  std::size_t used = 0;
  double value = -1;
  try {
    value = std::stod(number, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (number.empty() || used != number.size() || !std::isfinite(value) || value < 0)
    throw BadInput(std::string(flag) + ": '" + text + "' is not a percentage >= 0");
  return value;
}

std::string help_footer() {
  return "Series are matched by what they measured (collective, algorithm, transport, dtype, op,\n"
         "ranks, in-place, root, memory, node subset; p2p: test, transport, pairs, window), "
         "points\n"
         "by size. Per point: B/A ratio of times with its interval, Mann-Whitney p Holm-corrected\n"
         "over the series' points, and a verdict in bandwidth terms: 'B faster by G% [lo, hi]'\n"
         "with G = time_A / time_B - 1. Exit codes: 0 compared, 2 bad input or refused,\n"
         "10 --fail-if-slower tripped. Details: docs/ANALYSIS.md.\n";
}

// Returns nullopt when help was printed.
std::optional<CompareArgs> parse(int argc, char** argv) {
  CompareArgs args;
  std::string alpha = "0.05";
  std::string ratio = "hodges-lehmann";
  std::string equivalence;
  std::string bw_from = "1M";
  std::string fail_if_slower;
  CLI::App app{"Compare two fabricbench results files, A (baseline) and B, point by point",
               "fabricbench compare"};
  app.add_option("A", args.path_a, "Baseline results file (.h5)")->required()->type_name("FILE");
  app.add_option("B", args.path_b, "Results file compared against A (.h5)")
      ->required()
      ->type_name("FILE");
  app.add_option("--json", args.json, "Write the verdicts as JSON (results/VERDICTS.md) to FILE")
      ->type_name("FILE");
  app.add_option("--alpha", alpha,
                 "Significance level; intervals are at 1 - alpha, the equivalence test's at "
                 "1 - 2 alpha")
      ->type_name("ALPHA")
      ->capture_default_str();
  app.add_option("--ratio", ratio,
                 "Ratio interval: hodges-lehmann (of the log times) or bootstrap (of the median "
                 "ratio)")
      ->type_name("METHOD")
      ->capture_default_str();
  app.add_option("--equivalence", equivalence,
                 "Margin PCT: 'equivalent within PCT%' when the two one-sided tests show neither "
                 "time exceeds the other by more than PCT%")
      ->type_name("PCT");
  app.add_option("--bw-from", bw_from,
                 "Series summary over the sizes at or above SIZE (K/M/G = 2^10/2^20/2^30)")
      ->type_name("SIZE")
      ->capture_default_str();
  app.add_option("--fail-if-slower", fail_if_slower,
                 "Exit 10 when a point of B is significantly slower than A by more than PCT% "
                 "of bandwidth (its whole interval beyond PCT)")
      ->type_name("PCT");
  app.add_flag("--force", args.force,
               "Compare even when the runs differ in what changes the numbers (timing, "
               "pipeline parameters, host count)");
  app.footer(help_footer());
  try {
    app.parse(argc - 1, argv + 1);
  } catch (const CLI::CallForHelp&) {
    std::printf("%s", app.help().c_str());
    return std::nullopt;
  } catch (const CLI::ParseError& e) {
    throw BadInput(e.what());
  }
  char* end = nullptr;
  const double a = std::strtod(alpha.c_str(), &end);
  if (alpha.empty() || *end != '\0' || !(a > 0 && a < 0.5))
    throw BadInput("--alpha: '" + alpha + "' is not a level in (0, 0.5)");
  args.options.alpha = a;
  if (ratio == "hodges-lehmann" || ratio == "hl") {
    args.options.ratio_method = analysis::RatioMethod::kHodgesLehmann;
  } else if (ratio == "bootstrap") {
    args.options.ratio_method = analysis::RatioMethod::kBootstrap;
  } else {
    throw BadInput("--ratio: unknown method '" + ratio + "' (known: hodges-lehmann, bootstrap)");
  }
  if (!equivalence.empty()) {
    args.options.equivalence_pct = percentage(equivalence, "--equivalence");
    if (*args.options.equivalence_pct <= 0)
      throw BadInput("--equivalence: the margin must be above 0%");
  }
  std::string error;
  const auto from = parse_size(bw_from, &error);
  if (!from) throw BadInput("--bw-from: " + error);
  args.options.bw_from_bytes = *from;
  if (!fail_if_slower.empty()) {
    args.options.fail_if_slower_pct = percentage(fail_if_slower, "--fail-if-slower");
    if (*args.options.fail_if_slower_pct >= 100)
      throw BadInput("--fail-if-slower: '" + fail_if_slower +
                     "' is not below 100% (bandwidth cannot fall by more)");
  }
  return args;
}

results::FileData read(const std::string& path) {
  try {
    return results::read_file(path);
  } catch (const std::exception& e) {
    throw BadInput(e.what());
  }
}

std::string interval_text(const std::optional<Interval>& i) {
  if (!i) return "";
  return " [" + format_figure(i->lower) + ", " + format_figure(i->upper) + "]";
}

std::string level_text(double level) {
  return format_figure(level * 100, 2) + "%";
}

std::string file_line(const results::FileData& f, const std::string& path) {
  std::vector<std::string> seen;
  for (const auto& h : f.run.hostnames) {
    if (std::find(seen.begin(), seen.end(), h) == seen.end()) seen.push_back(h);
  }
  const std::size_t hosts = seen.size();
  return path + " (" + f.run.created_utc + ", fabricbench " + f.run.tool_version + " " +
         f.run.git_revision + ", " + std::to_string(f.run.world_size) + " ranks on " +
         std::to_string(hosts) + (hosts == 1 ? " host)" : " hosts)");
}

void print_series(const analysis::SeriesComparison& s, const CompareOptions& o) {
  std::printf("\n## %s", s.name_a.c_str());
  if (s.name_b != s.name_a) std::printf("  (B: %s)", s.name_b.c_str());
  std::printf("\n");
  const std::string level = level_text(1 - o.alpha);
  std::printf("%10s  %-28s  %-28s  %-26s  %9s  %s\n", "size",
              ("median A us [" + level + "]").c_str(), ("median B us [" + level + "]").c_str(),
              ("B/A time [" + level + "]").c_str(), "p (Holm)", "verdict");
  for (const auto& p : s.points) {
    const bool compared = p.verdict != Verdict::kNotCompared;
    const std::string ma = format_figure(p.median_a_us) + interval_text(p.median_a_interval);
    const std::string mb = format_figure(p.median_b_us) + interval_text(p.median_b_interval);
    const std::string ratio =
        compared ? format_figure(p.ratio.estimate) + interval_text(p.ratio) : "-";
    const std::string pv = compared ? format_figure(p.p_holm, 2) : "-";
    const std::string verdict = analysis::verdict_text(p.verdict, p.ratio, o, p.note) +
                                (p.slower_than_allowed ? "  FAIL" : "");
    std::printf("%10s  %-28s  %-28s  %-26s  %9s  %s\n", format_size(p.size_bytes).c_str(),
                ma.c_str(), mb.c_str(), ratio.c_str(), pv.c_str(), verdict.c_str());
  }
  const auto& sum = s.summary;
  if (sum.ratio) {
    std::printf("  summary: geometric mean of B/A over %zu size%s from %s to %s: %s%s: %s\n",
                sum.sizes.size(), sum.sizes.size() == 1 ? "" : "s",
                format_size(sum.sizes.front()).c_str(), format_size(sum.sizes.back()).c_str(),
                format_figure(sum.ratio->estimate).c_str(), interval_text(sum.ratio).c_str(),
                analysis::verdict_text(sum.verdict, sum.ratio, o).c_str());
  } else {
    std::printf("  summary: none (%s)\n", sum.note.c_str());
  }
}

std::string sizes_text(const std::vector<std::uint64_t>& sizes) {
  std::string out;
  for (const auto size : sizes)
    out += (out.empty() ? "" : ", ") + format_size(size);
  return out;
}

void print_report(const Comparison& c, const results::FileData& a, const results::FileData& b,
                  const CompareArgs& args) {
  const auto& o = c.options;
  std::printf("# A: %s\n# B: %s\n", file_line(a, args.path_a).c_str(),
              file_line(b, args.path_b).c_str());
  std::printf(
      "# B/A: ratio of times (%s, %s intervals); speed as the bandwidth change from A to "
      "B, time_A / time_B - 1;\n# significant: Holm-adjusted Mann-Whitney p < %s and the "
      "interval excludes 1\n",
      o.ratio_method == analysis::RatioMethod::kBootstrap ? "bootstrap of the median ratio"
                                                          : "Hodges-Lehmann",
      level_text(1 - o.alpha).c_str(), format_figure(o.alpha, 1).c_str());
  for (const auto& s : c.series)
    print_series(s, o);
  std::printf("\n");
  bool unmatched = false;
  for (const auto* list : {&c.series_only_in_a, &c.series_only_in_b}) {
    for (const auto& name : *list) {
      std::printf("# only in %s: series %s\n", list == &c.series_only_in_a ? "A" : "B",
                  name.c_str());
      unmatched = true;
    }
  }
  for (const auto& s : c.series) {
    if (!s.sizes_only_in_a.empty()) {
      std::printf("# only in A: %s sizes %s\n", s.name_a.c_str(),
                  sizes_text(s.sizes_only_in_a).c_str());
      unmatched = true;
    }
    if (!s.sizes_only_in_b.empty()) {
      std::printf("# only in B: %s sizes %s\n", s.name_a.c_str(),
                  sizes_text(s.sizes_only_in_b).c_str());
      unmatched = true;
    }
  }
  if (!unmatched) std::printf("# every series and size is in both files\n");
  for (const auto* f : {&a, &b}) {
    for (const auto& [name, matrix] : f->matrices) {
      std::printf("# not compared: link matrix %s of %s (fabricbench qualify judges links)\n",
                  name.c_str(), f == &a ? "A" : "B");
    }
  }
  for (const auto& d : c.differences) {
    const bool refusal = d.severity == analysis::Difference::Severity::kRefuse;
    std::printf("# %s: %s\n", refusal ? "warning (--force)" : "warning", d.message().c_str());
  }
  if (c.provenance.empty()) {
    std::printf("# provenance: no differences\n");
  } else {
    std::printf("# provenance differences (A | B):\n");
    for (const auto& p : c.provenance)
      std::printf("#   %s: %s | %s\n", p.field.c_str(), p.a.c_str(), p.b.c_str());
  }
}

int run(const CompareArgs& args) {
  const auto a = read(args.path_a);
  const auto b = read(args.path_b);
  Comparison c;
  try {
    c = analysis::compare_files(a, b, args.options);
  } catch (const std::invalid_argument& e) {
    throw BadInput(e.what());
  }
  if (c.refused() && !args.force) {
    std::string reasons;
    for (const auto& d : c.differences)
      if (d.severity == analysis::Difference::Severity::kRefuse)
        reasons += (reasons.empty() ? "" : "; ") + d.message();
    throw BadInput("refusing to compare " + args.path_a + " and " + args.path_b + ": " + reasons +
                   " (--force compares anyway)");
  }
  if (c.compared_points() == 0) {
    throw BadInput("nothing to compare: " + args.path_a + " and " + args.path_b +
                   " have no series and size in common with samples to compare (" +
                   std::to_string(c.series_only_in_a.size()) + " series only in A, " +
                   std::to_string(c.series_only_in_b.size()) + " only in B)");
  }
  // Opened before anything is printed, so an unusable path is one line and nothing else.
  std::ofstream json;
  if (!args.json.empty()) {
    json.open(args.json);
    if (!json) {
      throw BadInput("--json: cannot write '" + args.json + "': " + std::strerror(errno));
    }
  }
  print_report(c, a, b, args);
  const bool slower = c.slower_than_allowed();
  if (args.options.fail_if_slower_pct) {
    std::printf("# --fail-if-slower %g%%: %s\n", *args.options.fail_if_slower_pct,
                slower ? "FAIL: a point is significantly slower by more than that"
                       : "pass: no point significantly slower by more than that");
  }
  const int code = slower ? kExitSlower : kExitOk;
  if (json.is_open()) {
    auto doc = analysis::to_json(c, a, args.path_a, b, args.path_b);
    doc["settings"]["force"] = args.force;
    doc["exit_code"] = code;
    json << doc.dump(2) << "\n";
    json.close();
    if (!json) throw std::runtime_error("--json: writing '" + args.json + "' failed");
  }
  std::fflush(stdout);
  return code;
}

}  // namespace

int compare_main(int argc, char** argv) {
  try {
    const auto args = parse(argc, argv);
    if (!args) return kExitOk;
    return run(*args);
  } catch (const BadInput& e) {
    std::string message = e.what();
    for (char& ch : message)
      if (ch == '\n') ch = ' ';
    std::fprintf(stderr, "fabricbench: error: %s\n", message.c_str());
    return kExitBadInput;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fabricbench: error: compare: %s\n", e.what());
    return kExitFailure;
  }
}

}  // namespace fb

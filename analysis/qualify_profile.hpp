// Qualification profiles: what a fabric should reach, as rules judged against measurements.
// A profile is a YAML file (profiles/*.yaml, format in docs/ANALYSIS.md) or the built-in
// `generic` profile, whose line rate comes from --line-rate.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace fb::analysis {

// A profile that cannot be used. what() is one line: "FILE:LINE: problem" (LINE omitted
// when the problem has no place in the file).
class ProfileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// What a rule measures.
enum class QualifyTest {
  p2p_latency,    // half round trip between ranks 0 and 1 (us)
  p2p_bandwidth,  // one direction, rank 0 -> 1 (windowed stream)
  p2p_bibw,       // both directions at once between ranks 0 and 1, summed
  link_matrix,    // every ordered pair of ranks, one direction each, at one size
  collective,     // a collective series' bus bandwidth (nccl-tests' busbw)
};
std::string_view to_string(QualifyTest test);
// Latency is better lower; every other test is a rate, better higher.
inline bool higher_is_better(QualifyTest test) {
  return test != QualifyTest::p2p_latency;
}

// The unit a rule's warn and fail levels are written in.
enum class ThresholdUnit {
  line_rate,  // a fraction of the link model's rate (see LinkModel::reference_Gbps)
  Gbps,       // Gb/s, 1e9 bits per second
  GBps,       // GB/s, 1e9 bytes per second
  us,         // microseconds (latency only)
};
std::string_view to_string(ThresholdUnit unit);

// For bidirectional bandwidth: whether an absolute level is the sum of both directions or
// what each direction must carry.
enum class Direction { one, both };

struct LinkModel {
  double line_rate_Gbps = 0;            // per NIC, one direction
  int nics_per_node = 1;                // NICs a node drives at once in collectives
  std::optional<double> pcie_cap_Gbps;  // what the NIC's host slot carries, one direction
  // The rate one NIC can reach, one direction: the line rate, or the PCIe cap when lower.
  double nic_Gbps() const {
    return pcie_cap_Gbps && *pcie_cap_Gbps < line_rate_Gbps ? *pcie_cap_Gbps : line_rate_Gbps;
  }
};

struct QualifyRule {
  std::string name;  // unique in the profile, e.g. "p2p-bandwidth"
  QualifyTest test = QualifyTest::p2p_bandwidth;
  // The collective (test: collective), e.g. "allreduce", and the algorithm series to judge.
  std::string collective;
  std::string algorithm;
  std::string dtype = "float32";
  // Size window, inclusive: every measured size in it is judged on its own.
  std::uint64_t min_bytes = 0;
  std::uint64_t max_bytes = 0;
  // The statistic: a quantile of the time distribution (0.5: median, 0.99: p99). For a rate
  // it is the rate at that time quantile, i.e. the slow tail for q > 0.5.
  double quantile = 0.5;
  double level = 0.95;  // confidence level of the interval
  ThresholdUnit unit = ThresholdUnit::line_rate;
  Direction direction = Direction::one;  // p2p_bibw with absolute levels only
  double warn = 0;                       // in `unit`
  double fail = 0;                       // in `unit`
  std::int64_t iterations = 20;          // samples per point in the first measurement
  std::int64_t budget = 0;               // further samples per point at most when inconclusive
  int source_line = 0;                   // where the rule starts in its file (1-based; 0: built in)
};

struct Profile {
  std::string name;
  std::string description;
  std::string source;  // the file, or "built-in"
  LinkModel link;
  std::vector<QualifyRule> rules;
};

// Reads and checks a profile file. Throws ProfileError ("FILE:LINE: problem") for a YAML
// syntax error, an unknown or missing key, a bad value or unit, or warn and fail levels in
// the wrong order. `line_rate_Gbps` (--line-rate), when given, replaces the file's rate.
Profile load_profile(const std::filesystem::path& file,
                     std::optional<double> line_rate_Gbps = std::nullopt);
// The same from text; `source` names it in messages.
Profile parse_profile(const std::string& text, const std::string& source,
                      std::optional<double> line_rate_Gbps = std::nullopt);

// The built-in `generic` profile at `line_rate_Gbps`.
Profile generic_profile(double line_rate_Gbps);

// Where `--profile NAME` looks: `NAME` as a path when it names a file (or contains a '/' or
// ends in .yaml), else NAME.yaml in each of `search_dirs` in turn. Empty when not found.
std::optional<std::filesystem::path> find_profile(
    const std::string& name, const std::vector<std::filesystem::path>& search_dirs);

// A rule's level converted to the unit of the measurement it is compared with: GB/s for
// rates (for p2p_bibw the sum of both directions, for collectives the bus bandwidth), us for
// latency. `level` is rule.warn or rule.fail.
double threshold_in_measured_unit(const QualifyRule& rule, const LinkModel& link, double level);
// The measured unit's name: "us" or "GB/s".
std::string_view measured_unit(const QualifyRule& rule);

// Parses "400 Gb/s", "48GB/s", "504Gbps", "1.6 Tb/s" to Gb/s (bits written b, bytes B; SI
// prefixes K, M, G, T); nullopt otherwise.
std::optional<double> parse_rate_text_Gbps(std::string_view text);
// Parses sizes "8", "64K", "1M", "4MiB", "1G" (binary multiples, K = 1024) to bytes.
std::optional<std::uint64_t> parse_size_text_bytes(std::string_view text);

}  // namespace fb::analysis

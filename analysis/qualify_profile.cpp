#include "analysis/qualify_profile.hpp"

#include <yaml-cpp/yaml.h>

#include <cctype>
#include <charconv>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

namespace fb::analysis {

std::string_view to_string(QualifyTest test) {
  switch (test) {
    case QualifyTest::p2p_latency:
      return "p2p_latency";
    case QualifyTest::p2p_bandwidth:
      return "p2p_bandwidth";
    case QualifyTest::p2p_bibw:
      return "p2p_bibw";
    case QualifyTest::link_matrix:
      return "link_matrix";
    case QualifyTest::collective:
      return "collective";
  }
  return "?";
}

std::string_view to_string(ThresholdUnit unit) {
  switch (unit) {
    case ThresholdUnit::line_rate:
      return "line_rate";
    case ThresholdUnit::Gbps:
      return "Gb/s";
    case ThresholdUnit::GBps:
      return "GB/s";
    case ThresholdUnit::us:
      return "us";
  }
  return "?";
}

namespace {

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())) != 0)
    s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())) != 0)
    s.remove_suffix(1);
  return std::string(s);
}

// Splits "12.5 GB/s" into the number and the rest; nullopt without a leading number.
std::optional<std::pair<double, std::string>> number_and_unit(std::string_view text) {
  const std::string t = trim(text);
  double value = 0;
  const char* begin = t.data();
  const char* end = t.data() + t.size();
  const auto [ptr, ec] = std::from_chars(begin, end, value);
  if (ec != std::errc() || ptr == begin || !std::isfinite(value)) return std::nullopt;
  return std::make_pair(value, trim(std::string_view(ptr, static_cast<std::size_t>(end - ptr))));
}

}  // namespace

std::optional<double> parse_rate_text_Gbps(std::string_view text) {
  const auto parsed = number_and_unit(text);
  if (!parsed || parsed->first <= 0) return std::nullopt;
  std::string unit = parsed->second;
  if (unit.empty()) return std::nullopt;
  double prefix = 0;
  switch (unit.front()) {
    case 'K':
    case 'k':
      prefix = 1e-6;
      break;
    case 'M':
    case 'm':
      prefix = 1e-3;
      break;
    case 'G':
    case 'g':
      prefix = 1;
      break;
    case 'T':
    case 't':
      prefix = 1e3;
      break;
    default:
      return std::nullopt;
  }
  unit.erase(0, 1);
  double per_unit = 0;
  if (unit == "b/s" || unit == "bps" || unit == "bit/s" || unit == "b") {
    per_unit = 1;
  } else if (unit == "B/s" || unit == "Bps" || unit == "B") {
    per_unit = 8;
  } else {
    return std::nullopt;
  }
  return parsed->first * prefix * per_unit;
}

std::optional<std::uint64_t> parse_size_text_bytes(std::string_view text) {
  const auto parsed = number_and_unit(text);
  if (!parsed || parsed->first < 0) return std::nullopt;
  std::string unit = parsed->second;
  double factor = 1;
  if (!unit.empty()) {
    const char p = static_cast<char>(std::toupper(static_cast<unsigned char>(unit.front())));
    if (p == 'K') {
      factor = 1024.0;
    } else if (p == 'M') {
      factor = 1024.0 * 1024;
    } else if (p == 'G') {
      factor = 1024.0 * 1024 * 1024;
    } else if (unit != "B") {
      return std::nullopt;
    }
    if (p == 'K' || p == 'M' || p == 'G') {
      const std::string rest = unit.substr(1);
      if (!rest.empty() && rest != "B" && rest != "iB") return std::nullopt;
    }
  }
  const double bytes = parsed->first * factor;
  if (bytes != std::floor(bytes) || bytes > 1e18) return std::nullopt;
  return static_cast<std::uint64_t>(bytes);
}

namespace {

// Reads one profile, every problem a ProfileError naming the file and line.
class ProfileReader {
 public:
  explicit ProfileReader(std::string source) : source_(std::move(source)) {}

  [[noreturn]] void fail(const YAML::Node& where, const std::string& problem) const {
    const int line = where.IsDefined() ? where.Mark().line + 1 : 0;
    fail_at(line, problem);
  }
  [[noreturn]] void fail_at(int line, const std::string& problem) const {
    throw ProfileError(source_ + (line > 0 ? ":" + std::to_string(line) : std::string()) + ": " +
                       problem);
  }

  void only_keys(const YAML::Node& map, const std::set<std::string>& allowed,
                 const std::string& what) const {
    if (!map.IsMap()) fail(map, what + " must be a mapping of keys to values");
    for (const auto& entry : map) {
      const auto key = entry.first.as<std::string>();
      if (allowed.count(key) == 0) {
        std::string known;
        for (const auto& k : allowed)
          known += (known.empty() ? "" : ", ") + k;
        std::string problem = "unknown key '";
        problem.append(key).append("' in ").append(what).append(" (known: ").append(known);
        fail(entry.first, problem + ")");
      }
    }
  }

  YAML::Node required(const YAML::Node& map, const std::string& key,
                      const std::string& what) const {
    const auto node = map[key];
    if (!node) fail(map, what + " has no '" + key + "'");
    return node;
  }

  std::string scalar(const YAML::Node& node, const std::string& what) const {
    if (!node.IsScalar()) fail(node, what + " must be a single value");
    return node.as<std::string>();
  }

  double number(const YAML::Node& node, const std::string& what) const {
    const auto text = scalar(node, what);
    const auto parsed = number_and_unit(text);
    if (!parsed || !parsed->second.empty()) fail(node, what + " '" + text + "' is not a number");
    return parsed->first;
  }

  std::int64_t count(const YAML::Node& node, const std::string& what, std::int64_t min) const {
    const double v = number(node, what);
    if (v != std::floor(v) || v < static_cast<double>(min) || v > 1e9) {
      fail(node, what + " must be a whole number of at least " + std::to_string(min));
    }
    return static_cast<std::int64_t>(v);
  }

  double rate(const YAML::Node& node, const std::string& what) const {
    const auto text = scalar(node, what);
    const auto r = parse_rate_text_Gbps(text);
    if (!r) {
      fail(node, what + " '" + text +
                     "' is not a rate with a unit (e.g. 400 Gb/s or 50 GB/s; b = bits, B = bytes)");
    }
    return *r;
  }

  std::uint64_t size(const YAML::Node& node, const std::string& what) const {
    const auto text = scalar(node, what);
    const auto s = parse_size_text_bytes(text);
    if (!s) fail(node, what + " '" + text + "' is not a size (e.g. 8, 64K, 1M)");
    return *s;
  }

  Profile read(const std::string& text, std::optional<double> line_rate_override) const {
    YAML::Node root;
    try {
      root = YAML::Load(text);
    } catch (const YAML::ParserException& e) {
      fail_at(e.mark.line + 1, "YAML syntax error: " + e.msg);
    }
    if (!root.IsMap()) fail_at(1, "a profile is a mapping with keys profile, link and rules");
    only_keys(root, {"profile", "description", "link", "rules"}, "the profile");
    Profile p;
    p.source = source_;
    p.name = scalar(required(root, "profile", "the profile"), "profile");
    if (root["description"]) p.description = scalar(root["description"], "description");

    const auto link = required(root, "link", "the profile");
    only_keys(link, {"line_rate", "nics_per_node", "pcie_cap"}, "link");
    if (line_rate_override) {
      p.link.line_rate_Gbps = *line_rate_override;
    } else {
      p.link.line_rate_Gbps = rate(required(link, "line_rate", "link"), "line_rate");
    }
    if (link["nics_per_node"]) {
      p.link.nics_per_node = static_cast<int>(count(link["nics_per_node"], "nics_per_node", 1));
    }
    if (link["pcie_cap"]) p.link.pcie_cap_Gbps = rate(link["pcie_cap"], "pcie_cap");

    const auto rules = required(root, "rules", "the profile");
    if (!rules.IsSequence() || rules.size() == 0) {
      fail(rules, "rules must be a non-empty list of rules");
    }
    std::set<std::string> names;
    for (const auto& node : rules) {
      auto rule = read_rule(node);
      if (!names.insert(rule.name).second) fail(node, "a second rule named '" + rule.name + "'");
      p.rules.push_back(std::move(rule));
    }
    return p;
  }

  QualifyRule read_rule(const YAML::Node& node) const {
    only_keys(node,
              {"name", "test", "collective", "algorithm", "dtype", "size", "sizes", "statistic",
               "level", "unit", "direction", "warn", "fail", "iterations", "budget"},
              "a rule");
    QualifyRule r;
    r.source_line = node.Mark().line + 1;
    r.name = scalar(required(node, "name", "a rule"), "name");
    const std::string what = "rule '" + r.name + "'";
    const auto test_node = required(node, "test", what);
    const auto test = scalar(test_node, "test");
    bool known = false;
    for (const auto t :
         {QualifyTest::p2p_latency, QualifyTest::p2p_bandwidth, QualifyTest::p2p_bibw,
          QualifyTest::link_matrix, QualifyTest::collective}) {
      if (test == to_string(t)) {
        r.test = t;
        known = true;
      }
    }
    if (!known) {
      fail(test_node, what + ": unknown test '" + test +
                          "' (known: p2p_latency, p2p_bandwidth, p2p_bibw, link_matrix, "
                          "collective)");
    }
    if (r.test == QualifyTest::collective) {
      r.collective = scalar(required(node, "collective", what), "collective");
      r.algorithm = node["algorithm"] ? scalar(node["algorithm"], "algorithm") : "ring";
      if (node["dtype"]) r.dtype = scalar(node["dtype"], "dtype");
    } else {
      for (const char* key : {"collective", "algorithm", "dtype"}) {
        if (node[key]) fail(node[key], what + ": '" + key + "' applies to test collective only");
      }
    }

    // The size window.
    if (node["size"] && node["sizes"]) fail(node["sizes"], what + ": give size or sizes, not both");
    if (node["size"]) {
      r.min_bytes = r.max_bytes = size(node["size"], "size");
    } else {
      const auto sizes = required(node, "sizes", what);
      if (!sizes.IsSequence() || sizes.size() != 2) {
        fail(sizes, what + ": sizes must be [MIN, MAX] (an inclusive window, e.g. [1M, 4M])");
      }
      r.min_bytes = size(sizes[0], "sizes");
      r.max_bytes = size(sizes[1], "sizes");
      if (r.min_bytes > r.max_bytes)
        fail(sizes, what + ": sizes must be [MIN, MAX] with MIN <= MAX");
    }
    if (r.test == QualifyTest::link_matrix && r.min_bytes != r.max_bytes) {
      fail(node["sizes"], what + ": a link matrix is measured at one size (size: N)");
    }
    if (r.test != QualifyTest::p2p_latency && r.min_bytes == 0) {
      fail(node, what + ": a bandwidth window must start above 0 bytes");
    }

    if (node["statistic"]) {
      const auto s = scalar(node["statistic"], "statistic");
      if (s == "median" || s == "p50") {
        r.quantile = 0.5;
      } else if (s.size() > 1 && s[0] == 'p') {
        const auto q = number_and_unit(s.substr(1));
        if (!q || !q->second.empty() || q->first <= 0 || q->first >= 100) {
          fail(node["statistic"], what + ": unknown statistic '" + s + "' (median, p90, p99, ...)");
        }
        r.quantile = q->first / 100;
      } else {
        fail(node["statistic"], what + ": unknown statistic '" + s + "' (median, p90, p99, ...)");
      }
    }
    if (node["level"]) {
      r.level = number(node["level"], "level");
      if (!(r.level > 0 && r.level < 1)) fail(node["level"], what + ": level must be in (0, 1)");
    }

    const auto unit_node = required(node, "unit", what);
    const auto unit = scalar(unit_node, "unit");
    if (unit == "line_rate") {
      r.unit = ThresholdUnit::line_rate;
    } else if (unit == "Gb/s") {
      r.unit = ThresholdUnit::Gbps;
    } else if (unit == "GB/s") {
      r.unit = ThresholdUnit::GBps;
    } else if (unit == "us") {
      r.unit = ThresholdUnit::us;
    } else {
      fail(unit_node, what + ": unknown unit '" + unit + "' (line_rate, Gb/s, GB/s or us)");
    }
    const bool latency = r.test == QualifyTest::p2p_latency;
    if (latency && r.unit != ThresholdUnit::us) {
      fail(unit_node, what + ": latency levels are absolute, in us");
    }
    if (!latency && r.unit == ThresholdUnit::us) {
      fail(unit_node, what + ": unit us is for latency; rates take line_rate, Gb/s or GB/s");
    }
    if (node["direction"]) {
      const auto d = scalar(node["direction"], "direction");
      if (r.test != QualifyTest::p2p_bibw || r.unit == ThresholdUnit::line_rate) {
        fail(node["direction"],
             what + ": direction applies to p2p_bibw levels in Gb/s or GB/s only");
      }
      if (d == "one") {
        r.direction = Direction::one;
      } else if (d == "both") {
        r.direction = Direction::both;
      } else {
        fail(node["direction"], what + ": direction must be one or both");
      }
    } else if (r.test == QualifyTest::p2p_bibw && r.unit != ThresholdUnit::line_rate) {
      fail(unit_node, what +
                          ": say whether the level is per direction or the sum of both "
                          "(direction: one or both)");
    } else if (r.test == QualifyTest::p2p_bibw) {
      r.direction = Direction::both;
    }

    r.warn = number(required(node, "warn", what), "warn");
    r.fail = number(required(node, "fail", what), "fail");
    for (const auto& [key, value] : {std::pair{"warn", r.warn}, std::pair{"fail", r.fail}}) {
      if (!(value > 0)) fail(node[key], what + ": " + key + " must be above 0");
      if (r.unit == ThresholdUnit::line_rate && value > 1) {
        fail(node[key], what + ": " + key + " is a fraction of the line rate, at most 1");
      }
    }
    if (latency && r.warn > r.fail) {
      fail(node["warn"], what + ": warn (" + scalar(node["warn"], "warn") +
                             ") must not exceed fail (" + scalar(node["fail"], "fail") +
                             ") for latency: warn is the stricter level");
    }
    if (!latency && r.warn < r.fail) {
      fail(node["warn"], what + ": warn (" + scalar(node["warn"], "warn") +
                             ") must be at least fail (" + scalar(node["fail"], "fail") +
                             ") for a rate: warn is the stricter level");
    }
    if (node["iterations"]) r.iterations = count(node["iterations"], "iterations", 1);
    if (node["budget"]) r.budget = count(node["budget"], "budget", 0);
    return r;
  }

 private:
  std::string source_;
};

}  // namespace

Profile parse_profile(const std::string& text, const std::string& source,
                      std::optional<double> line_rate_Gbps) {
  return ProfileReader(source).read(text, line_rate_Gbps);
}

Profile load_profile(const std::filesystem::path& file, std::optional<double> line_rate_Gbps) {
  std::ifstream in(file);
  if (!in) throw ProfileError(file.string() + ": cannot read the profile");
  std::stringstream text;
  text << in.rdbuf();
  return parse_profile(text.str(), file.string(), line_rate_Gbps);
}

Profile generic_profile(double line_rate_Gbps) {
  Profile p;
  p.name = "generic";
  p.description = "any fabric, judged against --line-rate";
  p.source = "built-in";
  p.link.line_rate_Gbps = line_rate_Gbps;
  QualifyRule bw;
  bw.name = "p2p-bandwidth";
  bw.test = QualifyTest::p2p_bandwidth;
  bw.min_bytes = 256 << 10;
  bw.max_bytes = 1 << 20;
  bw.unit = ThresholdUnit::line_rate;
  bw.warn = 0.90;
  bw.fail = 0.80;
  bw.iterations = 20;
  bw.budget = 60;
  p.rules.push_back(bw);
  QualifyRule links = bw;
  links.name = "link-bandwidth";
  links.test = QualifyTest::link_matrix;
  links.min_bytes = links.max_bytes = 256 << 10;
  links.warn = 0.85;
  links.fail = 0.75;
  links.iterations = 12;
  links.budget = 24;
  p.rules.push_back(links);
  return p;
}

std::optional<std::filesystem::path> find_profile(
    const std::string& name, const std::vector<std::filesystem::path>& search_dirs) {
  namespace fs = std::filesystem;
  const bool looks_like_path = name.find('/') != std::string::npos ||
                               (name.size() > 5 && name.substr(name.size() - 5) == ".yaml");
  if (looks_like_path || fs::is_regular_file(name)) {
    if (fs::is_regular_file(name)) return fs::path(name);
    return std::nullopt;
  }
  for (const auto& dir : search_dirs) {
    const auto candidate = dir / (name + ".yaml");
    if (fs::is_regular_file(candidate)) return candidate;
  }
  return std::nullopt;
}

double threshold_in_measured_unit(const QualifyRule& rule, const LinkModel& link, double level) {
  switch (rule.unit) {
    case ThresholdUnit::us:
      return level;
    case ThresholdUnit::line_rate: {
      double Gbps = level * link.nic_Gbps();
      if (rule.test == QualifyTest::p2p_bibw) Gbps *= 2;
      if (rule.test == QualifyTest::collective) Gbps *= link.nics_per_node;
      return Gbps / 8;
    }
    case ThresholdUnit::Gbps:
    case ThresholdUnit::GBps: {
      double GBps = rule.unit == ThresholdUnit::Gbps ? level / 8 : level;
      if (rule.test == QualifyTest::p2p_bibw && rule.direction == Direction::one) GBps *= 2;
      return GBps;
    }
  }
  return level;
}

std::string_view measured_unit(const QualifyRule& rule) {
  return rule.test == QualifyTest::p2p_latency ? "us" : "GB/s";
}

}  // namespace fb::analysis

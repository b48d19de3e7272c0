#include "harness/cli/size_parse.hpp"

#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>

namespace fb {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

void set(std::string* error, std::string message) {
  if (error != nullptr) *error = std::move(message);
}

}  // namespace

std::optional<std::uint64_t> parse_size(std::string_view text, std::string* error) {
  std::string quoted(1, '\'');
  quoted.append(text);
  quoted.push_back('\'');
  if (text.empty()) {
    set(error, "empty size");
    return std::nullopt;
  }
  if (text.front() == '-') {
    set(error, "size " + quoted + " is negative");
    return std::nullopt;
  }
  std::uint64_t value = 0;
  const auto* begin = text.data();
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(begin, end, value);
  if (ec == std::errc::result_out_of_range) {
    set(error, "size " + quoted + " is too large");
    return std::nullopt;
  }
  if (ec != std::errc() || ptr == begin) {
    set(error, "size " + quoted + " is not a number (expected e.g. 4096, 64K, 16M, 1G)");
    return std::nullopt;
  }
  const std::string suffix = lower(std::string_view(ptr, static_cast<std::size_t>(end - ptr)));
  std::uint64_t multiplier = 1;
  if (suffix.empty() || suffix == "b") {
    multiplier = 1;
  } else if (suffix == "k" || suffix == "kb" || suffix == "kib") {
    multiplier = 1ULL << 10;
  } else if (suffix == "m" || suffix == "mb" || suffix == "mib") {
    multiplier = 1ULL << 20;
  } else if (suffix == "g" || suffix == "gb" || suffix == "gib") {
    multiplier = 1ULL << 30;
  } else {
    set(error, "size " + quoted + " has an unknown suffix (use K, M or G; K = 1024)");
    return std::nullopt;
  }
  if (value == 0) {
    set(error, "size " + quoted + " must be greater than zero");
    return std::nullopt;
  }
  if (value > std::numeric_limits<std::uint64_t>::max() / multiplier) {
    set(error, "size " + quoted + " is too large");
    return std::nullopt;
  }
  return value * multiplier;
}

std::string format_size(std::uint64_t bytes) {
  static constexpr const char* kSuffix[] = {"B", "K", "M", "G", "T"};
  int unit = 0;
  while (unit < 4 && bytes >= 1024 && bytes % 1024 == 0) {
    bytes /= 1024;
    ++unit;
  }
  return std::to_string(bytes) + kSuffix[unit];
}

std::optional<std::int64_t> parse_count(std::string_view text) {
  std::int64_t value = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || text.front() == '-' || text.front() == '+' || ec != std::errc() ||
      ptr != end) {
    return std::nullopt;
  }
  return value;
}

std::optional<double> parse_seconds(std::string_view text) {
  double value = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end || !std::isfinite(value) || value <= 0) {
    return std::nullopt;
  }
  return value;
}

}  // namespace fb

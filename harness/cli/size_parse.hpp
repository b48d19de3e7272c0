// Parsing of the numbers users type: byte sizes with binary suffixes, counts, seconds.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace fb {

// "4096", "8B", "64K", "64KB", "64KiB", "16M", "1G" (K = 1024). Case-insensitive suffix.
// Returns nullopt (and sets *error) for empty, negative, zero, fractional, overflowing or
// otherwise unparsable text.
std::optional<std::uint64_t> parse_size(std::string_view text, std::string* error = nullptr);

// Human-readable size with a binary suffix: 8 -> "8B", 65536 -> "64K", 3145728 -> "3M".
std::string format_size(std::uint64_t bytes);

// Non-negative decimal integer (no sign, no suffix) that fits in int64.
std::optional<std::int64_t> parse_count(std::string_view text);

// Positive decimal number of seconds, e.g. "30" or "0.5".
std::optional<double> parse_seconds(std::string_view text);

}  // namespace fb

#include "harness/cli/option_text.hpp"

#include <sstream>

#include "harness/cli/size_parse.hpp"

namespace fb::cli {

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (item.empty()) throw BadInput("empty name in list '" + text + "'");
    if (std::find(out.begin(), out.end(), item) == out.end()) out.push_back(item);
  }
  if (out.empty()) throw BadInput("empty list");
  return out;
}

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names)
    out += (out.empty() ? "" : ", ") + n;
  return out;
}

bool mentions_all(const std::string& text) {
  const auto items = split(text);
  return std::find(items.begin(), items.end(), "all") != items.end();
}

std::uint64_t size_option(const std::string& text, const char* flag) {
  std::string error;
  const auto value = parse_size(text, &error);
  if (!value) throw BadInput(std::string(flag) + ": " + error);
  return *value;
}

std::int64_t count_option(const std::string& text, const char* flag, std::int64_t min) {
  const auto value = parse_count(text);
  if (!value || *value < min) {
    throw BadInput(std::string(flag) + ": '" + text +
                   "' is not an integer >= " + std::to_string(min));
  }
  return *value;
}

std::string quote_command_line(int argc, const char* const* argv) {
  std::string out;
  for (int i = 0; i < argc; ++i) {
    std::string arg = argv[i];
    const bool plain = !arg.empty() && arg.find_first_of(" \t\"'\\$") == std::string::npos;
    if (!out.empty()) out += ' ';
    if (plain) {
      out += arg;
    } else {
      out += '\'';
      for (const char c : arg)
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
      out += '\'';
    }
  }
  return out;
}

}  // namespace fb::cli

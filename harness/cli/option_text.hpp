// Turning the text of an option into a value, for harness/cli/options.cpp: comma lists,
// sizes and counts, names from a choice table or a list of known names, and the quoted
// command line. Every refusal is a BadInput whose message names the option.
#pragma once

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "harness/cli/choice.hpp"

namespace fb::cli {

// A command line the user must change: the message is printed after "fabricbench: error: ".
class BadInput : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A comma list, duplicates dropped, in order; an empty list or name is refused.
std::vector<std::string> split(const std::string& text);

// "a, b, c".
std::string join(const std::vector<std::string>& names);

// `all` may stand alone or inside a list ("all,auto").
bool mentions_all(const std::string& text);

// A size with K/M/G suffixes (harness/cli/size_parse.hpp).
std::uint64_t size_option(const std::string& text, const char* flag);

// An integer >= min.
std::int64_t count_option(const std::string& text, const char* flag, std::int64_t min);

// argv as one line a shell would split back into the same words.
std::string quote_command_line(int argc, const char* const* argv);

// A comma list of names `parse` knows (`known` lists them in the error), duplicates dropped.
template <typename T, typename Parse>
std::vector<T> parse_list(const std::string& text, const char* what, Parse parse,
                          const std::vector<std::string>& known) {
  std::vector<T> out;
  for (const auto& name : split(text)) {
    const auto value = parse(name);
    if (!value)
      throw BadInput("unknown " + std::string(what) + " '" + name + "' (known: " + join(known) +
                     ")");
    if (std::find(out.begin(), out.end(), *value) == out.end()) out.push_back(*value);
  }
  return out;
}

// As parse_list, or every one of `all` when the list mentions `all`.
template <typename T, typename Parse>
Selection<T> parse_list_or_all(const std::string& text, const char* what, Parse parse,
                               const std::vector<std::string>& known, const std::vector<T>& all) {
  Selection<T> out;
  out.from_all = mentions_all(text);
  out.items = out.from_all ? all : parse_list<T>(text, what, parse, known);
  return out;
}

// The value `text` names in `table`; `flag` names the option in the error.
template <typename Value>
Value choose(const ChoiceTable<Value>& table, const std::string& text, const char* flag) {
  const auto value = table.find(text);
  if (!value) {
    throw BadInput(std::string(flag) + ": '" + text + "' is not one of " + table.names());
  }
  return *value;
}

}  // namespace fb::cli

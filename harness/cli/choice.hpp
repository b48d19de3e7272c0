// The command line's enumerations: one table per option, name to value, from which both the
// parsing and the "not one of ..." messages and help texts are made.
#pragma once

#include <algorithm>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fb {

template <typename Value>
struct Choice {
  std::string_view name;
  Value value;
};

template <typename Value>
class ChoiceTable {
 public:
  ChoiceTable(std::initializer_list<Choice<Value>> choices) : choices_(choices) {}

  // The value named `name`; nullopt when the table has no such name.
  std::optional<Value> find(std::string_view name) const {
    const auto it = std::find_if(choices_.begin(), choices_.end(),
                                 [name](const Choice<Value>& c) { return c.name == name; });
    if (it == choices_.end()) return std::nullopt;
    return it->value;
  }

  // The name of `value`; "?" when the table has no such value.
  std::string_view name_of(const Value& value) const {
    const auto it = std::find_if(choices_.begin(), choices_.end(),
                                 [&value](const Choice<Value>& c) { return c.value == value; });
    return it == choices_.end() ? std::string_view("?") : it->name;
  }

  // The names in table order, e.g. "auto, on, off".
  std::string names() const {
    std::string out;
    for (const auto& c : choices_) {
      if (!out.empty()) out += ", ";
      out += c.name;
    }
    return out;
  }

 private:
  std::vector<Choice<Value>> choices_;
};

// Names picked from a list, or every known one (`all`). A list from `all` skips the
// combinations that do not apply silently; when every name involved was given explicitly
// they are errors.
template <typename T>
struct Selection {
  std::vector<T> items;
  bool from_all = false;

  auto begin() const { return items.begin(); }
  auto end() const { return items.end(); }
  std::size_t size() const { return items.size(); }
  bool empty() const { return items.empty(); }
  const T& front() const { return items.front(); }
  // Adds `item` unless it is there already (lists keep the order first given).
  void add(const T& item) {
    if (std::find(items.begin(), items.end(), item) == items.end()) items.push_back(item);
  }

  friend bool operator==(const Selection& a, const std::vector<T>& b) { return a.items == b; }
};

}  // namespace fb

#include "topologies/doubling.hpp"

#include <stdexcept>
#include <string>

namespace fb::topo {

namespace {
void check_rank(int rank, int n) {
  if (n < 1 || rank < 0 || rank >= n) {
    throw std::invalid_argument("recursive doubling: rank " + std::to_string(rank) +
                                " out of range for " + std::to_string(n) + " ranks");
  }
}

int largest_power_of_two(int n) {
  int p = 1;
  while (p <= n / 2)
    p *= 2;
  return p;
}
}  // namespace

DoublingFold doubling_fold(int rank, int n) {
  check_rank(rank, n);
  DoublingFold f;
  f.participants = largest_power_of_two(n);
  f.folded = n - f.participants;
  for (int q = f.participants; q > 1; q /= 2)
    ++f.steps;
  if (rank < 2 * f.folded) {
    const bool even = rank % 2 == 0;
    f.fold_partner = even ? rank + 1 : rank - 1;
    f.participant = even ? -1 : rank / 2;
  } else {
    f.participant = rank - f.folded;
  }
  return f;
}

int doubling_real_rank(int participant, int n) {
  const int p = largest_power_of_two(n);
  if (participant < 0 || participant >= p) {
    throw std::invalid_argument("recursive doubling: participant " + std::to_string(participant) +
                                " out of range");
  }
  const int rem = n - p;
  return participant < rem ? 2 * participant + 1 : participant + rem;
}

int doubling_first_rank(int participant, int n) {
  const int p = largest_power_of_two(n);
  if (participant < 0 || participant > p) {
    throw std::invalid_argument("recursive doubling: participant " + std::to_string(participant) +
                                " out of range");
  }
  const int rem = n - p;
  return participant < rem ? 2 * participant : participant + rem;
}

int doubling_partner(int participant, int step) {
  if (participant < 0 || step < 0 || step > 30) {
    throw std::invalid_argument("recursive doubling: bad participant or step");
  }
  return participant ^ (1 << step);
}

ParticipantRange doubling_held(int participant, int step) {
  if (participant < 0 || step < 0 || step > 30) {
    throw std::invalid_argument("recursive doubling: bad participant or step");
  }
  const int width = 1 << step;
  const int lo = participant / width * width;
  return {lo, lo + width};
}

}  // namespace fb::topo

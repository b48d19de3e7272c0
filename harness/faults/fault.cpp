#include "harness/faults/fault.hpp"

#include <cstdio>
#include <cstdlib>

#include "harness/cli/options.hpp"

namespace fb {

FaultReporter::FaultReporter(Bootstrap& bootstrap) : probe_(bootstrap) {}

FaultReporter::~FaultReporter() {
  const auto line = ignored_probe_line();
  if (line.empty()) return;
  std::fprintf(stderr, "fabricbench: rank %d (%s): %s\n", probe_.rank(), probe_.host().c_str(),
               line.c_str());
  std::fflush(stderr);
}

std::string FaultReporter::ignored_probe_line() const {
  const auto& ignored = probe_.ignored();
  const auto count = ignored.total();
  if (count == 0) return "";
  return "ignored " + std::to_string(count) + " peer-probe connection" + (count == 1 ? "" : "s") +
         " not from this job (" + ignored.breakdown() + ")";
}

void FaultReporter::set_on_fatal(std::function<void(const std::string&)> hook) {
  std::lock_guard lock(mutex_);
  on_fatal_ = std::move(hook);
}

FaultReporter::Diagnosis FaultReporter::diagnose(std::chrono::milliseconds deadline) const {
  Diagnosis d;
  const auto verdicts = probe_.probe(deadline);
  std::vector<const PeerVerdict*> lost;
  for (const auto& v : verdicts) {
    if (v.state == PeerState::alive || v.state == PeerState::failing) {
      d.answering.push_back(v.rank);
    } else {
      lost.push_back(&v);
    }
  }
  if (lost.empty()) {
    d.lines.emplace_back(verdicts.empty() ? "no peers to check"
                                          : "every peer still answers: no rank or host is lost");
    return d;
  }
  d.peer_lost = true;
  for (const auto* v : lost) {
    std::string line = "lost peer: rank " + std::to_string(v->rank) + " on host " + v->host + ": " +
                       std::string(to_string(v->state));
    if (!v->detail.empty()) line += " (" + v->detail + ")";
    d.lines.push_back(line);
  }
  // Every remote peer unreachable while some exist: more likely this host's own link.
  bool any_remote = false;
  bool all_remote_unreachable = true;
  for (const auto& v : verdicts) {
    if (v.host == probe_.host()) continue;
    any_remote = true;
    all_remote_unreachable = all_remote_unreachable && v.state == PeerState::unreachable;
  }
  if (any_remote && all_remote_unreachable && verdicts.size() > 1) {
    d.lines.push_back("no other host answers: the link of this host (" + probe_.host() +
                      ") is probably down");
  }
  d.summary = "lost peer";
  if (lost.size() > 1) d.summary += "s";
  for (std::size_t i = 0; i < lost.size(); ++i) {
    d.summary += (i == 0 ? " " : ", ") + std::string("rank ") + std::to_string(lost[i]->rank) +
                 " (" + lost[i]->host + ", " + std::string(to_string(lost[i]->state)) + ")";
  }
  return d;
}

void FaultReporter::fatal(const std::string& error) {
  std::lock_guard lock(mutex_);  // never released: the process ends here
  probe_.set_failing();
  const std::string prefix =
      "fabricbench: rank " + std::to_string(probe_.rank()) + " (" + probe_.host() + "): ";
  std::fprintf(stderr, "%serror: %s\n", prefix.c_str(), error.c_str());
  std::fflush(stderr);
  const auto diagnosis = diagnose(kProbeDeadline);
  for (const auto& line : diagnosis.lines)
    std::fprintf(stderr, "%s%s\n", prefix.c_str(), line.c_str());
  const auto ignored = ignored_probe_line();
  if (!ignored.empty()) std::fprintf(stderr, "%s%s\n", prefix.c_str(), ignored.c_str());
  std::fflush(stderr);
  if (on_fatal_) {
    try {
      on_fatal_("failed: " + error + (diagnosis.summary.empty() ? "" : "; " + diagnosis.summary));
    } catch (const std::exception& e) {
      std::fprintf(stderr, "%scould not record the failure in the results file: %s\n",
                   prefix.c_str(), e.what());
    }
  }
  std::fflush(stdout);
  std::fflush(stderr);
  probe_.wait_probed_by(diagnosis.answering, linger_limit_);
  std::_Exit(diagnosis.peer_lost ? kExitPeerLost : kExitFailure);
}

}  // namespace fb

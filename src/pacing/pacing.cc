#include "omnivox/pacing.h"

#include <cmath>
#include <string>

namespace omnivox {
namespace {

class ProgressivePolicy final : public PacingPolicy {
 public:
  std::string name() const override { return "progressive"; }
  int decide(const PacingSnapshot& s) override {
    // Waiting live answers will take idle agents first.
    return std::max(s.agents_idle - s.calls_pending - s.calls_waiting, 0);
  }
};

class PowerPolicy final : public PacingPolicy {
 public:
  explicit PowerPolicy(double lines)
      : lines_(lines), name_("power(" + std::to_string(lines_).substr(0, 4) + ")") {}
  std::string name() const override { return name_; }
  int decide(const PacingSnapshot& s) override {
    int target = static_cast<int>(std::lround(lines_ * s.agents_idle));
    return std::max(target - s.calls_pending - s.calls_waiting, 0);
  }

 private:
  double lines_;
  std::string name_;
};

class PreviewPolicy final : public PacingPolicy {
 public:
  std::string name() const override { return "preview"; }
  int decide(const PacingSnapshot&) override { return 0; }
};

}  // namespace

std::unique_ptr<PacingPolicy> make_progressive_policy() {
  return std::make_unique<ProgressivePolicy>();
}

std::unique_ptr<PacingPolicy> make_power_policy(double lines_per_agent) {
  if (!(lines_per_agent >= 1.0 && lines_per_agent <= 10.0)) {
    throw Error(ErrorCode::kConfig, "power_lines_per_agent: " + std::to_string(lines_per_agent) +
                                        " is outside [1, 10]");
  }
  return std::make_unique<PowerPolicy>(lines_per_agent);
}

std::unique_ptr<PacingPolicy> make_preview_policy() { return std::make_unique<PreviewPolicy>(); }

std::unique_ptr<PacingPolicy> make_policy_for(const CampaignConfig& campaign) {
  switch (campaign.dial_mode) {
    case DialMode::kPreview:
      return make_preview_policy();
    case DialMode::kProgressive:
      return make_progressive_policy();
    case DialMode::kPower:
      return make_power_policy(campaign.power_lines_per_agent);
    case DialMode::kPredictive:
      return make_predictive_policy();
  }
  throw Error(ErrorCode::kConfig,
              "dial_mode: " + std::to_string(static_cast<int>(campaign.dial_mode)) +
                  " is not a dial mode (PREVIEW, PROGRESSIVE, POWER or PREDICTIVE)");
}

}  // namespace omnivox

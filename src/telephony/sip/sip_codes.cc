// SIP final responses (RFC 3261 section 21) → the engine's call outcomes.
#include "omnivox/sip.h"

namespace omnivox {

SipOutcome sip_final_code_to_outcome(int code, bool canceled_by_us) {
  switch (code) {
    case 486:  // Busy Here
    case 600:  // Busy Everywhere
      return {CallEventKind::kBusy, FailReason::kNone};
    case 408:  // Request Timeout: the far end never answered the INVITE in time
    case 480:  // Temporarily Unavailable: rang out or the callee is unreachable now
      return {CallEventKind::kNoAnswer, FailReason::kNone};
    case 487:  // Request Terminated: our CANCEL at the ring timeout, or the far end's
      return canceled_by_us ? SipOutcome{CallEventKind::kNoAnswer, FailReason::kNone}
                            : SipOutcome{CallEventKind::kFailed, FailReason::kNetwork};
    case 404:  // Not Found
    case 484:  // Address Incomplete
    case 604:  // Does Not Exist Anywhere
      return {CallEventKind::kFailed, FailReason::kInvalidNumber};
    case 603:  // Decline: the callee refused the call
      return {CallEventKind::kFailed, FailReason::kRejected};
    default:
      break;
  }
  // 403, 503 and every other failure: the trunk may be down or refusing for now; retryable.
  return {CallEventKind::kFailed, FailReason::kNetwork};
}

}  // namespace omnivox

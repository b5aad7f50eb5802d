package org.omnivox.examples;

import java.util.HashSet;
import java.util.Set;
import org.omnivox.AgentState;
import org.omnivox.AgentStateEvent;
import org.omnivox.AttemptRecord;
import org.omnivox.CallEventKind;
import org.omnivox.Disposition;
import org.omnivox.Engine;
import org.omnivox.EngineConfig;
import org.omnivox.EventListener;
import org.omnivox.OriginateInfo;
import org.omnivox.Statistics;
import org.omnivox.TelephonyBackend;

/**
 * A telephony backend written in Java, driving a progressive campaign in virtual time: every
 * other call is answered after 4 s of ringing and talks for a minute, the others ring out.
 * The backend reports its events with reportAfter() on the engine's clock, so simulated time
 * passes; a listener plays the agents, dispositioning each call as it enters WRAP_UP.
 */
public final class JavaTelephony {
  /** The backend: decides each call's fate from its id. Runs on the engine's thread. */
  static final class ScriptedTelephony extends TelephonyBackend {
    private final Set<Long> answered = new HashSet<>();

    @Override
    public void originate(OriginateInfo request) {
      long call = request.getCallId();
      reportAfter(200, call, CallEventKind.INITIATED);
      reportAfter(1000, call, CallEventKind.RINGING);
      if (call % 2 == 0) {
        answered.add(call);
        reportAfter(4000, call, CallEventKind.ANSWERED);
      } else {
        reportAfter(request.getRingTimeoutMs(), call, CallEventKind.NO_ANSWER);
      }
    }

    @Override
    public void bridge(long call, long agent) {
      reportAfter(0, call, CallEventKind.BRIDGED);
      reportAfter(60_000, call, CallEventKind.COMPLETED);
    }

    @Override
    public void hangup(long call) {
      reportAfter(0, call, answered.remove(call) ? CallEventKind.COMPLETED
                                                 : CallEventKind.CANCELED);
    }

    @Override
    public void play(long call, String message) {}
  }

  public static void main(String[] args) {
    Engine[] engine = new Engine[1];
    int[] finished = new int[1];
    EventListener agents = new EventListener() {
      @Override
      public void onAgentState(AgentStateEvent e) {
        // The agent's after-call work: a disposition (applied after this callback returns).
        if (e.getTo() == AgentState.WRAP_UP) {
          engine[0].setDisposition(e.getCallId(), Disposition.SALE, 0);
        }
      }

      @Override
      public void onAttemptFinished(AttemptRecord a) {
        finished[0]++;
      }
    };
    ScriptedTelephony telephony = new ScriptedTelephony();
    EngineConfig config = new EngineConfig();  // memory storage, virtual clock
    try (Engine e = Engine.create(config, telephony, agents)) {
      engine[0] = e;
      String id = e.addCampaignJson("{\"id\": \"java\", \"max_attempts\": 2,"
          + " \"retry\": {\"NO_ANSWER\": 600}}", ".");
      for (int i = 0; i < 10; i++) e.addContact(id, "c" + i, "+1212555" + (2000 + i));
      e.addAgents(id, 2, true);
      e.startCampaign(id);
      boolean done = e.runUntilDone(24L * 3600 * 1000);
      Statistics s = e.statistics(id);
      System.out.printf("done %b: attempts %d, connects %d, sales %d, finished callbacks %d,"
              + " contacts final %d/%d, callback errors %d%n",
          done, s.getAttempts(), s.getConnects(), s.dispositionCount(Disposition.SALE),
          finished[0], s.getContactsFinal(), s.getContactsTotal(), e.callbackErrorCount());
      boolean ok = done && s.getContactsFinal() == s.getContactsTotal()
          && finished[0] == s.getAttempts() && e.callbackErrorCount() == 0;
      System.exit(ok ? 0 : 1);
    }
  }
}

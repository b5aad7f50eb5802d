package org.omnivox;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.File;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.Assume;
import org.junit.Test;

/**
 * The SIP backend from Java (EngineConfig.sipJson): creation checks, and an agent's phone (a SIPp
 * UAS on 127.0.0.1:5400, RTP 42900) connected and disconnected with the agent logged in and out
 * by its leg. The trunk (127.0.0.1:5401) is never called: no contact is dialled.
 */
public class SipTest {
  private static final String SIPP = "/usr/bin/sipp";
  private static final String PHONE = "sip:alice@127.0.0.1:5400";
  private static final String SIP_JSON = "{\"listen\": \"127.0.0.1:0\","
      + " \"trunk\": \"sip:127.0.0.1:5401\", \"rtp_ports\": \"42400-42499\","
      + " \"options_interval_s\": 0}";

  private static EngineConfig sipConfig(String sipJson) {
    EngineConfig c = new EngineConfig();
    c.setVirtualClock(false);
    c.setSipJson(sipJson);
    return c;
  }

  private static OmnivoxException expectError(ErrorCode code, String text, Runnable r) {
    try {
      r.run();
    } catch (OmnivoxException e) {
      assertEquals(e.getMessage(), code, e.getCode());
      assertTrue(e.getMessage(), e.getMessage().contains(text));
      return e;
    }
    fail("expected OmnivoxException(" + code + ") naming " + text);
    return null;
  }

  /** The agent's state once it is `want`, or its last state after `ms` milliseconds. */
  private static AgentState waitForState(Engine e, long agent, AgentState want, long ms)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
    AgentState state = e.agentState(agent);
    while (state != want && System.nanoTime() < deadline) {
      Thread.sleep(50);
      state = e.agentState(agent);
    }
    return state;
  }

  @Test
  public void creationChecks() {
    expectError(ErrorCode.CONFIG, "EngineConfig.sipJson: field 'telephony.trunk'",
        () -> Engine.create(sipConfig("{\"trunk\": \"10.0.0.1\"}"), null, null));
    expectError(ErrorCode.CONFIG, "EngineConfig.sipJson: field 'telephony.trunk'",
        () -> Engine.create(sipConfig("{\"listen\": \"127.0.0.1:0\"}"), null, null));
    expectError(ErrorCode.CONFIG, "EngineConfig.sipJson: field 'telephony.rtp_port'",
        () -> Engine.create(sipConfig("{\"trunk\": \"sip:127.0.0.1\", \"rtp_port\": \"1-2\"}"),
            null, null));
    EngineConfig virtual = sipConfig(SIP_JSON);
    virtual.setVirtualClock(true);
    expectError(
        ErrorCode.INVALID_ARGUMENT, "EngineConfig.virtualClock", () -> Engine.create(virtual, null, null));
    // The SIP methods on a simulator engine.
    try (Engine e = Engine.create(new EngineConfig(), null, null)) {
      expectError(ErrorCode.STATE, "EngineConfig.sipJson",
          () -> e.sipConnectAgent(0, "sip:a@127.0.0.1"));
      expectError(ErrorCode.STATE, "EngineConfig.sipJson", () -> e.sipDisconnectAgent(0));
    }
  }

  @Test
  public void agentLegLogsTheAgentInAndOut() throws Exception {
    Assume.assumeTrue(SIPP + " is not installed", new File(SIPP).canExecute());
    String scenario =
        new File(System.getProperty("omnivox.sip.scenarios", "tests/sip/scenarios"),
            "uas_answer.xml").getPath();
    CopyOnWriteArrayList<AgentState> seen = new CopyOnWriteArrayList<>();
    EventListener listener = new EventListener() {
      @Override
      public void onAgentState(AgentStateEvent ev) {
        seen.add(ev.getTo());
      }
    };
    // The agent's phone: answers once and stays until our BYE.
    Process phone = new ProcessBuilder(SIPP, "-sf", scenario, "-i", "127.0.0.1", "-p", "5400",
        "-mi", "127.0.0.1", "-mp", "42900", "-m", "1", "-nostdin")
        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .redirectError(ProcessBuilder.Redirect.DISCARD)
        .start();
    try {
      Thread.sleep(500);  // SIPp listening
      assertTrue("SIPp exited at once", phone.isAlive());
      try (Engine e = Engine.create(sipConfig(SIP_JSON), null, listener)) {
        e.addCampaignJson("{\"id\": \"sip-j\", \"compliance\": \"NONE\"}", "");
        long agent = e.addAgent("sip-j", "alice");
        expectError(ErrorCode.INVALID_ARGUMENT, "not a SIP URI",
            () -> e.sipConnectAgent(agent, "alice@127.0.0.1"));
        expectError(ErrorCode.NOT_FOUND, "", () -> e.sipConnectAgent(99, PHONE));
        expectError(ErrorCode.NOT_FOUND, "", () -> e.sipDisconnectAgent(99));

        e.sipConnectAgent(agent, PHONE);
        assertEquals(AgentState.AVAILABLE, waitForState(e, agent, AgentState.AVAILABLE, 10_000));
        e.sipConnectAgent(agent, PHONE);  // already connected: nothing
        e.sipDisconnectAgent(agent);
        assertEquals(
            AgentState.LOGGED_OUT, waitForState(e, agent, AgentState.LOGGED_OUT, 10_000));
        assertTrue(seen.toString(), seen.contains(AgentState.AVAILABLE));
      }
      // The phone took one call and saw it hung up: SIPp exits 0 by itself.
      assertTrue("SIPp still running", phone.waitFor(5, TimeUnit.SECONDS));
      assertEquals(0, phone.exitValue());
    } finally {
      if (phone.isAlive()) {
        phone.destroy();
        phone.waitFor(5, TimeUnit.SECONDS);
      }
    }
  }
}

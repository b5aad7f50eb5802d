package org.omnivox;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.Test;

/** Inbound queues, agents' skills and blending from Java (docs/blending.md). */
public class BlendingTest {
  // A campaign with no contacts and 3 agents; its simulated world sends callers to
  // +15550100001 at 60 an hour for an hour (5-minute services, 2-minute patience on average).
  static final String CAMPAIGN = "{\"id\": \"out\", \"agents\": 3,"
      + " \"start\": \"2026-05-04T13:00:00Z\", \"simulation\": {\"seed\": 5, \"wrap_up_s\": 0,"
      + " \"inbound\": [{\"number\": \"+15550100001\", \"start\": \"2026-05-04T13:00:00Z\","
      + " \"periods\": [{\"hours\": 1, \"calls_per_hour\": 60}],"
      + " \"service_s\": {\"exponential\": 300}, \"patience_s\": {\"exponential\": 120}}]}}";

  static class Records extends EventListener {
    // Call ids of the queue's records (a record is valid only during the callback).
    final List<Long> inbound = Collections.synchronizedList(new ArrayList<>());

    @Override
    public void onAttemptFinished(AttemptRecord a) {
      if (a.getCampaignId().equals("help")) inbound.add(a.getCallId());
    }
  }

  static void expectCode(ErrorCode code, Runnable r) {
    try {
      r.run();
      fail("expected " + code);
    } catch (OmnivoxException e) {
      assertEquals(e.getMessage(), code, e.getCode());
    }
  }

  @Test
  public void queueAnsweredByInboundOnlyAndBlendedAgents() {
    Records rec = new Records();
    try (Engine sim = Engine.simulation(CAMPAIGN, ".", rec)) {
      sim.addInboundQueue("help", new StringList(new String[] {"+15550100001"}), 0, 30000, 0.8);
      assertEquals(1, sim.inboundQueues().size());
      StringList help = new StringList(new String[] {"help"});
      LongList agents = new LongList(sim.agents());
      sim.setAgentSkills(agents.get(0), help, new LongList(new long[] {2}), false);
      sim.setAgentSkills(agents.get(1), help, new LongList(), false);
      sim.setAgentSkills(agents.get(2), help, new LongList(), true);
      sim.setBlending("out", BlendingRule.THRESHOLD, 1, "", 4, 1, 2.0, 0);
      sim.startCampaign("out");
      sim.runFor(3L * 3600 * 1000);
      InboundStatistics s = sim.inboundStatistics("help");
      assertEquals("help", s.getQueueId());
      assertTrue(s.getOffered() > 30 && s.getOffered() < 100);
      assertEquals(s.getOffered(), s.getAnswered() + s.getAbandoned());
      assertEquals(0, s.getWaiting());
      assertTrue(s.getAnswered() > 20);
      assertTrue(s.getServiceLevel() > 0 && s.getServiceLevel() <= 1);
      assertTrue(s.getHandleSeconds() > 0 && s.getAsaS() >= 0);
      assertEquals(s.getOffered(), rec.inbound.size());
      for (long id : rec.inbound) assertTrue("call " + id, id >= (1L << 55));

      expectCode(ErrorCode.CONFIG, () -> sim.addInboundQueue("", new StringList(), 0, 0, 0.8));
      expectCode(ErrorCode.NOT_FOUND, () -> sim.setAgentSkills(99, help, new LongList(), true));
      expectCode(ErrorCode.INVALID_ARGUMENT,
          () -> sim.setAgentSkills(agents.get(0), help, new LongList(new long[] {1, 2}), true));
      expectCode(ErrorCode.NOT_FOUND,
          () -> sim.setBlending("nope", BlendingRule.NONE, 0, "", 4, 1, 2.0, 0));
      expectCode(ErrorCode.CONFIG,
          () -> sim.setBlending("out", BlendingRule.THRESHOLD, -1, "", 4, 1, 2.0, 0));
      expectCode(ErrorCode.NOT_FOUND, () -> sim.inboundStatistics("nope"));
    }
  }

  static class Bridged extends EventListener {
    final List<String> campaigns = Collections.synchronizedList(new ArrayList<>());

    @Override
    public void onAttemptFinished(AttemptRecord a) {
      if (a.getBridgedAtMs() != 0) campaigns.add(a.getCampaignId());
    }
  }

  @Test
  public void agentsSharedByTwoCampaigns() {
    Bridged rec = new Bridged();
    try (Engine sim = Engine.simulation(CAMPAIGN, ".", rec)) {
      sim.addCampaignJson(
          "{\"id\": \"second\", \"dial_mode\": \"PROGRESSIVE\", \"default_region\": \"US\"}", ".");
      for (int i = 0; i < 40; ++i) {
        sim.addContact("second", "", new String[] {"+1212" + (2000000 + i)});
      }
      // The file's agents ("out" has no contacts) also take "second"'s calls.
      StringList none = new StringList();
      StringList second = new StringList(new String[] {"second"});
      LongList agents = new LongList(sim.agents());
      for (long a : agents) {
        sim.setAgentSkills(a, none, new LongList(), true, second, new LongList(new long[] {1}));
      }
      sim.startCampaign("out");
      sim.startCampaign("second");
      sim.runFor(8L * 3600 * 1000);
      assertTrue("bridged " + rec.campaigns.size(), rec.campaigns.size() > 5);
      for (String c : rec.campaigns) assertEquals("second", c);

      expectCode(ErrorCode.NOT_FOUND, () -> sim.setAgentSkills(agents.get(0), none,
          new LongList(), true, new StringList(new String[] {"nope"}), new LongList()));
      expectCode(ErrorCode.INVALID_ARGUMENT, () -> sim.setAgentSkills(agents.get(0), none,
          new LongList(), true, second, new LongList(new long[] {1, 2})));
    }
  }
}

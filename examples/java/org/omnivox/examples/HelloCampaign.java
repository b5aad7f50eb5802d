package org.omnivox.examples;

import org.omnivox.Engine;
import org.omnivox.Statistics;

/**
 * The smallest Java host: a campaign from JSON, twenty contacts, two agents, the simulator as
 * telephony, run in virtual time. Exits 0 when every contact reached a final status.
 */
public final class HelloCampaign {
  public static void main(String[] args) {
    String json = "{\"id\": \"hello\", \"agents\": 2, \"max_attempts\": 3,"
        + " \"start\": \"2026-05-04T13:00:00Z\", \"simulation\": {\"seed\": 7}}";
    try (Engine sim = Engine.simulation(json, ".", null)) {
      for (int i = 0; i < 20; i++) {
        sim.addContact("hello", "contact-" + i, "+1212555" + (1000 + i));
      }
      sim.startCampaign("hello");
      sim.runUntilDone(72L * 3600 * 1000);
      Statistics s = sim.statistics("hello");
      System.out.printf("attempts %d, live answers %d, abandons %d, occupancy %.1f%%,"
              + " contacts final %d/%d%n",
          s.getAttempts(), s.getLiveAnswers(), s.getAbandons(), 100 * s.getOccupancy(),
          s.getContactsFinal(), s.getContactsTotal());
      System.exit(s.getContactsFinal() == s.getContactsTotal() ? 0 : 1);
    }
  }
}

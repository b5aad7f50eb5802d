package org.omnivox.tools;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.omnivox.AttemptRecord;
import org.omnivox.Engine;
import org.omnivox.EventListener;
import org.omnivox.Statistics;

/**
 * {@code BankDump CAMPAIGN_JSON OUT_TXT}: runs a campaign file in simulation exactly as the C
 * API's omnivox_simulation_create + import_contacts(NULL) + start + run_until_done(0) do, and
 * writes one line per finished attempt, in callback order,
 * {@code A <call_id> <contact_id> <attempt_number> <DISPOSITION> <ended_at_ms>}, then
 * {@code S attempts=<n> live_answers=<n> abandons=<n> connects=<n> contacts_final=<n>}. The
 * attempt lines come through a Java EventListener. For the cross-language equality test.
 */
public final class BankDump {
  private BankDump() {}

  public static void main(String[] args) throws IOException {
    if (args.length != 2) {
      System.err.println("usage: BankDump CAMPAIGN_JSON OUT_TXT");
      System.exit(2);
    }
    Path campaign = Paths.get(args[0]).toAbsolutePath();
    String json = new String(Files.readAllBytes(campaign), StandardCharsets.UTF_8);
    Path parent = campaign.getParent();
    String baseDir = parent == null ? "." : parent.toString();
    try (Writer out = new BufferedWriter(new OutputStreamWriter(
             Files.newOutputStream(Paths.get(args[1])), StandardCharsets.UTF_8), 1 << 16)) {
      StringBuilder line = new StringBuilder(64);
      IOException[] failure = new IOException[1];
      EventListener listener = new EventListener() {
        @Override
        public void onAttemptFinished(AttemptRecord a) {
          line.setLength(0);
          line.append("A ").append(a.getCallId()).append(' ').append(a.getContactId())
              .append(' ').append(a.getAttemptNumber()).append(' ')
              .append(a.getDisposition().name()).append(' ').append(a.getEndedAtMs())
              .append('\n');
          try {
            out.write(line.toString());
          } catch (IOException e) {
            failure[0] = e;
          }
        }
      };
      try (Engine sim = Engine.simulation(json, baseDir, listener)) {
        String id = sim.campaignId();
        sim.importContacts(id, "main", "");
        sim.startCampaign(id);
        sim.runUntilDone(0);
        if (failure[0] != null) throw failure[0];
        if (sim.callbackErrorCount() != 0) {
          throw new IOException("listener failed: " + sim.lastCallbackError());
        }
        Statistics s = sim.statistics(id);
        out.write("S attempts=" + s.getAttempts() + " live_answers=" + s.getLiveAnswers()
                  + " abandons=" + s.getAbandons() + " connects=" + s.getConnects()
                  + " contacts_final=" + s.getContactsFinal() + "\n");
      }
    }
  }
}

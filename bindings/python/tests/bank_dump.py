#!/usr/bin/python3
"""Cross-language dump: bank_dump.py CAMPAIGN_JSON OUT_TXT

Runs the campaign file in simulation exactly as the C API's omnivox_simulation_create +
omnivox_simulation_import_contacts(NULL) + omnivox_simulation_start +
omnivox_simulation_run_until_done(0) do (memory storage without journal, virtual clock at the
file's "start", the file's simulated world, its agents added and logged in, no agent shift,
contacts imported into list "main", run until done or max_duration) and writes, for every
attempt finished, in callback order:

    A <call_id> <contact_id> <attempt_number> <DISPOSITION> <ended_at_ms>

then one line from the campaign statistics:

    S attempts=<n> live_answers=<n> abandons=<n> connects=<n> contacts_final=<n>
"""

import os
import sys

import omnivox


class Recorder(omnivox.EventListener):
    def __init__(self):
        super().__init__()
        self.lines = []

    def on_attempt_finished(self, a):
        self.lines.append(f"A {a.call_id} {a.contact_id} {a.attempt_number} "
                          f"{a.disposition.name} {a.ended_at_ms}\n")


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    campaign_json, out_txt = argv[1], argv[2]
    with open(campaign_json, encoding="utf-8") as f:
        text = f.read()
    # As the C API: JSON text with the file's folder as base_dir for relative paths.
    base_dir = os.path.dirname(os.path.abspath(campaign_json))
    campaign = omnivox.parse_campaign_json(text, base_dir, "campaign_json")
    recorder = Recorder()
    sim = omnivox.simulation_for(campaign, listener=recorder)
    engine = sim.engine
    if not campaign.contacts_path:
        print("bank_dump: the campaign has no contacts.file", file=sys.stderr)
        return 2
    engine.import_contacts(campaign.campaign.id, "main", campaign.contacts_path,
                           campaign.import_options)
    engine.start_campaign(campaign.campaign.id)
    engine.run_until_done(campaign.max_duration)
    s = engine.statistics(campaign.campaign.id)
    with open(out_txt, "w", encoding="utf-8") as out:
        out.writelines(recorder.lines)
        out.write(f"S attempts={s.attempts} live_answers={s.live_answers} abandons={s.abandons} "
                  f"connects={s.connects} contacts_final={s.contacts_final}\n")
    if engine.callback_error_count:
        print(f"bank_dump: {engine.last_callback_error()!r}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

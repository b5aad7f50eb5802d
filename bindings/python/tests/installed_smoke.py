#!/usr/bin/python3
"""Checks an installed omnivox package (ctests python.install and python.pip_install): it is
imported from below PREFIX, finds its time-zone data there and runs a tiny simulation (which
needs the packaged libomnivox).

    installed_smoke.py PREFIX
"""

import datetime as dt
import os
import sys

import omnivox


def main() -> int:
    prefix = os.path.realpath(sys.argv[1])
    assert os.path.realpath(omnivox.__file__).startswith(prefix), omnivox.__file__
    data = os.path.realpath(os.environ["OMNIVOX_DATA_DIR"])
    assert data.startswith(prefix), data
    f = omnivox.parse_campaign_json('{"id": "i", "agents": 2}')
    sim = omnivox.Simulation(f.simulation, f.start)
    sim.engine.add_campaign(f.campaign)
    sim.engine.add_contact("i", omnivox.Contact(numbers=["+12125550100"]))
    sim.add_agents("i", 2)
    sim.engine.start_campaign("i")
    sim.engine.run_for(dt.timedelta(hours=10))
    assert sim.engine.statistics("i").attempts >= 1
    print("installed omnivox OK:", omnivox.__file__)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""omnivox.SipTelephony: the SIP backend from Python. Configuration errors, misuse, and an
agent's phone (a SIPp UAS on 127.0.0.1:5600, RTP 44500) connected and disconnected with the agent
logged in and out by its leg; a phone left connected by a host that exits without closing its
engine is hung up (SIPp on 5604, RTP 44600). The trunks are never called: nothing is dialled."""

import os
import subprocess
import sys
import textwrap
import time

import pytest

import omnivox
from conftest import SOURCE_DIR, ScriptedTelephony, open_campaign

SIPP = "/usr/bin/sipp"
PHONE = "sip:alice@127.0.0.1:5600"
SIP_JSON = ('{"listen": "127.0.0.1:5602", "trunk": "sip:127.0.0.1:5601", '
            '"rtp_ports": "44000-44099", "options_interval_s": 0}')
SCENARIO = SOURCE_DIR / "tests" / "sip" / "scenarios" / "uas_answer.xml"


@pytest.mark.parametrize("section, field", [
    ('{"trunk": "10.0.0.1"}', "telephony.trunk"),
    ('{"listen": "127.0.0.1:0"}', "telephony.trunk"),
    ('{"trunk": "sip:127.0.0.1", "rtp_port": "1-2"}', "telephony.rtp_port"),
])
def test_bad_section_is_a_config_error_naming_the_field(section, field):
    with pytest.raises(omnivox.ConfigError, match=f"SipTelephony: field '{field}'"):
        omnivox.SipTelephony(section)


def test_is_a_telephony_and_refuses_misuse():
    sip = omnivox.SipTelephony('{"listen": "127.0.0.1:0", "trunk": "sip:127.0.0.1:5601"}')
    assert isinstance(sip, omnivox.Telephony)
    assert sip.local_port > 0
    assert sip.stats().invites_sent == 0
    with pytest.raises(omnivox.StateError, match="attach"):
        sip.connect_agent(0, PHONE)
    # A virtual clock is refused: SIP runs in real time.
    clock = omnivox.VirtualClock(omnivox.parse_utc("2026-05-04T09:00Z"))
    with omnivox.Engine(omnivox.memory_storage(), sip, clock) as engine:
        with pytest.raises(omnivox.InvalidArgumentError, match="system_clock"):
            sip.attach(engine)
        assert not sip.attached
    # Its engine closed, it has stopped for good.
    with pytest.raises(omnivox.StateError, match="build a new one"):
        sip.attach(engine)
    # An engine over another telephony.
    other = omnivox.SipTelephony('{"listen": "127.0.0.1:0", "trunk": "sip:127.0.0.1:5601"}')
    with omnivox.Engine(omnivox.memory_storage(), ScriptedTelephony(),
                        omnivox.system_clock()) as engine:
        with pytest.raises(omnivox.InvalidArgumentError, match="not this SipTelephony"):
            other.attach(engine)


def start_phone(port, rtp_port):
    """An agent's phone: answers once and stays until our BYE."""
    return subprocess.Popen(
        [SIPP, "-sf", str(SCENARIO), "-i", "127.0.0.1", "-p", str(port), "-mi", "127.0.0.1",
         "-mp", str(rtp_port), "-m", "1", "-nostdin"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop_phone(phone):
    if phone.poll() is None:
        phone.terminate()
        try:
            phone.wait(timeout=5)
        except subprocess.TimeoutExpired:
            phone.kill()
            phone.wait()


def wait_for_state(engine, agent, want, timeout_s=10.0):
    deadline = time.monotonic() + timeout_s
    state = engine.agent_state(agent)
    while state != want and time.monotonic() < deadline:
        time.sleep(0.05)
        state = engine.agent_state(agent)
    return state


@pytest.mark.skipif(not os.access(SIPP, os.X_OK), reason=f"{SIPP} is not installed")
def test_agent_leg_logs_the_agent_in_and_out():
    phone = start_phone(5600, 44500)
    try:
        time.sleep(0.5)  # SIPp listening
        assert phone.poll() is None, "SIPp exited at once"
        sip = omnivox.SipTelephony(SIP_JSON)
        assert sip.local_port == 5602
        with omnivox.Engine(omnivox.memory_storage(), sip, omnivox.system_clock()) as engine:
            sip.attach(engine)
            assert sip.attached
            engine.add_campaign(open_campaign("sip-py"))
            agent = engine.add_agent("sip-py", "alice")
            with pytest.raises(omnivox.InvalidArgumentError, match="not a SIP URI"):
                sip.connect_agent(agent, "alice@127.0.0.1")
            with pytest.raises(omnivox.NotFoundError):
                sip.connect_agent(99, PHONE)
            with pytest.raises(omnivox.NotFoundError):
                sip.disconnect_agent(99)

            sip.connect_agent(agent, PHONE)
            assert wait_for_state(engine, agent, omnivox.AgentState.AVAILABLE) \
                == omnivox.AgentState.AVAILABLE
            assert sip.stats().agents_up == 1
            sip.connect_agent(agent, PHONE)  # already connected: nothing
            sip.disconnect_agent(agent)
            assert wait_for_state(engine, agent, omnivox.AgentState.LOGGED_OUT) \
                == omnivox.AgentState.LOGGED_OUT
            stats = sip.stats()
            assert (stats.invites_sent, stats.byes_sent, stats.agents_up) == (1, 1, 0)
        assert not sip.attached
        # The phone took one call and saw it hung up: SIPp exits 0 by itself.
        assert phone.wait(timeout=5) == 0
    finally:
        stop_phone(phone)


EXITING_HOST = textwrap.dedent("""
    import time
    import omnivox
    sip = omnivox.SipTelephony('{"listen": "127.0.0.1:0", "trunk": "sip:127.0.0.1:5605", '
                               '"rtp_ports": "44100-44199", "options_interval_s": 0}')
    class Listener(omnivox.EventListener):
        pass
    listener = Listener()
    engine = omnivox.Engine(omnivox.memory_storage(), sip, omnivox.system_clock(), listener)
    # A cycle through C++ the collector cannot see: the engine outlives the interpreter.
    listener.engine = engine
    sip.attach(engine)
    c = omnivox.CampaignConfig()
    c.id = "exit"
    engine.add_campaign(c)
    agent = engine.add_agent("exit", "alice")
    engine.start()
    sip.connect_agent(agent, "sip:alice@127.0.0.1:5604")
    deadline = time.monotonic() + 10
    while engine.agent_state(agent) != omnivox.AgentState.AVAILABLE:
        assert time.monotonic() < deadline, "the phone never answered"
        time.sleep(0.05)
    print("up", flush=True)
    # Exits with the engine and the leg still up.
""")


@pytest.mark.skipif(not os.access(SIPP, os.X_OK), reason=f"{SIPP} is not installed")
def test_exit_without_close_hangs_up_the_agent_legs():
    phone = start_phone(5604, 44600)
    try:
        time.sleep(0.5)  # SIPp listening
        assert phone.poll() is None, "SIPp exited at once"
        host = subprocess.run([sys.executable, "-c", EXITING_HOST], stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=30)
        assert host.returncode == 0 and host.stdout == "up\n", host.stderr
        assert phone.wait(timeout=5) == 0
    finally:
        stop_phone(phone)

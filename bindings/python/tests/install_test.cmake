# ctest python.install: the documented offline install (`cmake --install <build> --component
# python`) into a scratch DESTDIR, then `import omnivox` from there, away from the build tree,
# running a tiny simulation (which needs the packaged libomnivox and time-zone data).
# Arguments: BUILD_DIR, DESTDIR, PKG_DIR (the configured install dir), PYTHON.
file(REMOVE_RECURSE "${DESTDIR}")
set(ENV{DESTDIR} "${DESTDIR}")
execute_process(COMMAND ${CMAKE_COMMAND} --install "${BUILD_DIR}" --component python
                RESULT_VARIABLE rc OUTPUT_QUIET)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cmake --install --component python failed: ${rc}")
endif()
set(site "${DESTDIR}${PKG_DIR}")
foreach(f omnivox/__init__.py omnivox/py.typed omnivox/_omnivox.pyi
          omnivox/data/phone-timezones/map_data.txt)
  if(NOT EXISTS "${site}/${f}")
    message(FATAL_ERROR "missing from the install: ${site}/${f}")
  endif()
endforeach()
set(ENV{PYTHONPATH} "${site}")
unset(ENV{OMNIVOX_DATA_DIR})
set(code [=[
import datetime as dt, os, omnivox
assert omnivox.__file__.startswith(os.environ["PYTHONPATH"]), omnivox.__file__
assert os.environ["OMNIVOX_DATA_DIR"].startswith(os.environ["PYTHONPATH"])
f = omnivox.parse_campaign_json('{"id": "i", "agents": 2}')
sim = omnivox.Simulation(f.simulation, f.start)
sim.engine.add_campaign(f.campaign)
sim.engine.add_contact("i", omnivox.Contact(numbers=["+12125550100"]))
sim.add_agents("i", 2)
sim.engine.start_campaign("i")
sim.engine.run_for(dt.timedelta(hours=10))
assert sim.engine.statistics("i").attempts >= 1
print("installed omnivox OK:", omnivox.__file__)
]=])
execute_process(COMMAND ${PYTHON} -c "${code}" WORKING_DIRECTORY "${DESTDIR}"
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "importing the installed package failed: ${rc}")
endif()

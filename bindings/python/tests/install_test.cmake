# ctest python.install: `cmake --install <build> --component python --prefix P` puts a
# self-contained package in P/SITE_DIR, importable from there away from the build tree (a tiny
# simulation needs the packaged libomnivox and time-zone data); a whole `cmake --install <build>
# --prefix P` writes nothing outside P.
# Arguments: BUILD_DIR, PREFIX (scratch), SITE_DIR (OMNIVOX_PYTHON_SITE_DIR), PYTHON.
file(REMOVE_RECURSE "${PREFIX}")
unset(ENV{DESTDIR})
execute_process(COMMAND ${CMAKE_COMMAND} --install "${BUILD_DIR}" --component python
                        --prefix "${PREFIX}/component"
                RESULT_VARIABLE rc OUTPUT_QUIET)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cmake --install --component python --prefix failed: ${rc}")
endif()
if(IS_ABSOLUTE "${SITE_DIR}")
  set(site "${SITE_DIR}")
else()
  set(site "${PREFIX}/component/${SITE_DIR}")
endif()
foreach(f omnivox/__init__.py omnivox/py.typed omnivox/_omnivox.pyi
          omnivox/data/phone-timezones/map_data.txt)
  if(NOT EXISTS "${site}/${f}")
    message(FATAL_ERROR "missing from the install: ${site}/${f}")
  endif()
endforeach()
set(ENV{PYTHONPATH} "${site}")
unset(ENV{OMNIVOX_DATA_DIR})
execute_process(COMMAND ${PYTHON} ${CMAKE_CURRENT_LIST_DIR}/installed_smoke.py "${site}"
                WORKING_DIRECTORY "${PREFIX}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "importing the installed package failed: ${rc}")
endif()

# Everything, under one prefix: the manifest lists only files below it.
if(NOT IS_ABSOLUTE "${SITE_DIR}")
  execute_process(COMMAND ${CMAKE_COMMAND} --install "${BUILD_DIR}" --prefix "${PREFIX}/all"
                  RESULT_VARIABLE rc OUTPUT_QUIET)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "cmake --install --prefix failed: ${rc}")
  endif()
  file(STRINGS "${BUILD_DIR}/install_manifest.txt" installed)
  foreach(f ${installed})
    string(FIND "${f}" "${PREFIX}/all/" at)
    if(NOT at EQUAL 0)
      message(FATAL_ERROR "cmake --install --prefix ${PREFIX}/all wrote outside it: ${f}")
    endif()
  endforeach()
  if(NOT EXISTS "${PREFIX}/all/${SITE_DIR}/omnivox/__init__.py")
    message(FATAL_ERROR "cmake --install --prefix: no Python package in ${PREFIX}/all/${SITE_DIR}")
  endif()
endif()

# Writes the list of Java files SWIG generated in DIR into OUT (a javac @argfile), one quoted
# path a line. Run at build time, after SWIG (the set of generated files is known only then).
file(GLOB_RECURSE sources "${DIR}/*.java")
list(SORT sources)
set(content "")
foreach(f IN LISTS sources)
  string(APPEND content "\"${f}\"\n")
endforeach()
# Rewrite only on change, so javac does not rerun needlessly.
if(EXISTS "${OUT}")
  file(READ "${OUT}" old)
  if(old STREQUAL content)
    return()
  endif()
endif()
file(WRITE "${OUT}" "${content}")

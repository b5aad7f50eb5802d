# Writes the list of Java files SWIG generated in DIR into OUT (a javac @argfile), one quoted
# path a line. Run at build time, after SWIG (the set of generated files is known only then).
file(GLOB_RECURSE sources "${DIR}/*.java")
list(SORT sources)
set(content "")
foreach(f IN LISTS sources)
  string(APPEND content "\"${f}\"\n")
endforeach()
# Written even when the list is unchanged: this runs only after SWIG regenerated the proxies,
# and the jar, which depends on this file, must then be recompiled with their new contents.
file(WRITE "${OUT}" "${content}")

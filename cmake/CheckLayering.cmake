# The layering check: every #include runs one way, down the pipeline.
#
#   cmake -DROOT=SOURCE_DIR -DSTAGES=common,cel,... [-DSTAMP=FILE]
#         -P cmake/CheckLayering.cmake
#
# Rules (docs/architecture.md):
#   engine/S/...            may include engine/T/... only when T is S or a
#                           stage before S in STAGES;
#   include/switchboard/... (the public API) may not include engine/,
#                           service/ or tools/;
#   service/...             (the live service) may include the public API and
#                           service/ only: not engine/, not tools/;
#   tools/...               (the CLI) may include tools/ and service/, not
#                           engine/: it uses the public API alone.
# Every violation is reported as FILE:LINE: error: ...; then the script
# fails. On success it touches STAMP (the build's proof that it ran).
cmake_minimum_required(VERSION 3.22)
if(NOT ROOT OR NOT STAGES)
  message(FATAL_ERROR "usage: cmake -DROOT=DIR -DSTAGES=a,b,c -P CheckLayering.cmake")
endif()
string(REPLACE "," ";" STAGES "${STAGES}")

set(violations 0)

# Reports the includes of `file` matching `pattern` that `allowed` (a
# regular expression on the included path) does not accept.
function(check_file file allowed rule)
  # One list element per line: first hide what a CMake list would treat
  # specially (';' separates, '[' ']' group).
  file(READ ${file} content)
  string(REPLACE ";" "," content "${content}")
  string(REPLACE "[" "(" content "${content}")
  string(REPLACE "]" ")" content "${content}")
  string(REPLACE "\n" ";" lines "${content}")
  set(n 0)
  foreach(line IN LISTS lines)
    math(EXPR n "${n} + 1")
    if(line MATCHES "^[ \t]*#[ \t]*include[ \t]*\"((engine|service|tools)/[^\"]*)\"")
      set(path ${CMAKE_MATCH_1})
      if(NOT path MATCHES "${allowed}")
        file(RELATIVE_PATH rel ${ROOT} ${file})
        message("${rel}:${n}: error: includes ${path}: ${rule}")
        math(EXPR count "${violations} + 1")
        set(violations ${count} PARENT_SCOPE)
      endif()
    endif()
  endforeach()
endfunction()

set(before "")
foreach(stage IN LISTS STAGES)
  list(APPEND before ${stage})
  string(REPLACE ";" "|" allowed_stages "${before}")
  file(GLOB_RECURSE files ${ROOT}/engine/${stage}/*.h ${ROOT}/engine/${stage}/*.cc)
  foreach(file IN LISTS files)
    check_file(${file} "^engine/(${allowed_stages})/"
      "engine/${stage} may use only the stages up to it (${allowed_stages})")
  endforeach()
endforeach()

# A folder under engine/ that is not a stage would escape the check.
file(GLOB entries LIST_DIRECTORIES true ${ROOT}/engine/*)
foreach(entry IN LISTS entries)
  get_filename_component(name ${entry} NAME)
  if(IS_DIRECTORY ${entry} AND NOT name IN_LIST STAGES)
    message("engine/${name}: error: a folder that is not a stage (${STAGES})")
    math(EXPR violations "${violations} + 1")
  endif()
endforeach()

file(GLOB_RECURSE files ${ROOT}/include/*.h)
foreach(file IN LISTS files)
  check_file(${file} "^$" "the public API may not include engine, service or tools headers")
endforeach()

file(GLOB_RECURSE files ${ROOT}/service/*.h ${ROOT}/service/*.cc)
foreach(file IN LISTS files)
  check_file(${file} "^service/" "the service uses the public API (include/switchboard/) alone")
endforeach()

file(GLOB_RECURSE files ${ROOT}/tools/*.h ${ROOT}/tools/*.cc)
foreach(file IN LISTS files)
  check_file(${file} "^(tools|service)/" "the CLI uses the public API (include/switchboard/) and the service alone")
endforeach()

if(violations GREATER 0)
  message(FATAL_ERROR "layering: ${violations} include(s) run against the stages")
endif()
if(STAMP)
  file(TOUCH ${STAMP})
endif()

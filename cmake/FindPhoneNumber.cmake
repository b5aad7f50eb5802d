# Finds libphonenumber (Debian's libphonenumber8 runtime + headers unpacked by cmake/bootstrap.sh
# into /opt/omnivox-deps, or a normal libphonenumber-dev install). Defines PhoneNumber::PhoneNumber.
find_path(PhoneNumber_INCLUDE_DIR phonenumbers/phonenumberutil.h
          HINTS $ENV{OMNIVOX_DEPS_DIR}/include /opt/omnivox-deps/include)
find_library(PhoneNumber_LIBRARY NAMES phonenumber libphonenumber.so.8)
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(PhoneNumber REQUIRED_VARS PhoneNumber_LIBRARY PhoneNumber_INCLUDE_DIR)
if(PhoneNumber_FOUND AND NOT TARGET PhoneNumber::PhoneNumber)
  add_library(PhoneNumber::PhoneNumber UNKNOWN IMPORTED)
  set_target_properties(PhoneNumber::PhoneNumber PROPERTIES
    IMPORTED_LOCATION "${PhoneNumber_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${PhoneNumber_INCLUDE_DIR}")
endif()

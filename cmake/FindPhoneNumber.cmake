# Finds libphonenumber (Debian's libphonenumber8 runtime + headers unpacked by cmake/bootstrap.sh
# into /opt/omnivox-deps, or a normal libphonenumber-dev install) and its offline geocoder
# (libgeocoding, used to find a US number's state; it needs ICU's common library for its Locale).
# Defines PhoneNumber::PhoneNumber, which links all three.
find_path(PhoneNumber_INCLUDE_DIR phonenumbers/phonenumberutil.h
          HINTS $ENV{OMNIVOX_DEPS_DIR}/include /opt/omnivox-deps/include)
find_library(PhoneNumber_LIBRARY NAMES phonenumber libphonenumber.so.8)
find_library(PhoneNumber_GEOCODING_LIBRARY NAMES geocoding libgeocoding.so.8)
find_library(PhoneNumber_ICUUC_LIBRARY NAMES icuuc libicuuc.so.72)
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(PhoneNumber
  REQUIRED_VARS PhoneNumber_LIBRARY PhoneNumber_GEOCODING_LIBRARY PhoneNumber_ICUUC_LIBRARY
                PhoneNumber_INCLUDE_DIR)
if(PhoneNumber_FOUND AND NOT TARGET PhoneNumber::PhoneNumber)
  add_library(PhoneNumber::PhoneNumber UNKNOWN IMPORTED)
  set_target_properties(PhoneNumber::PhoneNumber PROPERTIES
    IMPORTED_LOCATION "${PhoneNumber_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${PhoneNumber_INCLUDE_DIR}"
    INTERFACE_LINK_LIBRARIES "${PhoneNumber_GEOCODING_LIBRARY};${PhoneNumber_ICUUC_LIBRARY}")
endif()

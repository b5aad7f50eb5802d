package org.omnivox;

/** Categories of errors: omnivox::ErrorCode's values in order, then INTERNAL. */
public enum ErrorCode {
  /** A value the caller passed is out of range, null or malformed. */
  INVALID_ARGUMENT,
  /** A campaign or engine configuration is invalid. */
  CONFIG,
  /** A named object (contact, call, agent, campaign) does not exist. */
  NOT_FOUND,
  /** A file could not be read or written. */
  IO,
  /** The storage backend failed. */
  STORAGE,
  /** The call is not valid in the object's current state (e.g. a closed engine). */
  STATE,
  /** A bug or resource exhaustion inside the library. */
  INTERNAL;

  static ErrorCode of(int ordinal) {
    ErrorCode[] all = values();
    return ordinal >= 0 && ordinal < all.length ? all[ordinal] : INTERNAL;
  }
}

package org.omnivox;

/**
 * The exception every org.omnivox method throws for an error: omnivox::Error mapped with its
 * code, a null argument, a closed engine. Unchecked. The message names the method and the
 * reason.
 */
public class OmnivoxException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final ErrorCode code;

  public OmnivoxException(ErrorCode code, String message) {
    super(message);
    this.code = code == null ? ErrorCode.INTERNAL : code;
  }

  /** Used by the JNI layer: `code` is an ErrorCode ordinal. */
  public OmnivoxException(int code, String message) {
    this(ErrorCode.of(code), message);
  }

  /** What kind of error it is. */
  public ErrorCode getCode() {
    return code;
  }

  /** Returns `value`, or throws OmnivoxException(INVALID_ARGUMENT) naming `name` if null. */
  public static <T> T requireArgument(T value, String name) {
    if (value == null) {
      throw new OmnivoxException(ErrorCode.INVALID_ARGUMENT, "argument '" + name + "' is null");
    }
    return value;
  }
}

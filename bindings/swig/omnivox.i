// SWIG interface of the Java package org.omnivox: the facade of facade/omnivox_java.h plus the
// Erlang functions of omnivox/erlang.h. Java names are lowerCamelCase; enum constants keep the
// C++ upper-case names (Disposition.NO_ANSWER). See docs/bindings-java.md.
%module(directors="1") Omnivox

%{
#include <cstdint>
#include <new>
#include <string>

#include "omnivox_java.h"
#include "omnivox/erlang.h"
#include "omnivox/types.h"

// org.omnivox.ErrorCode ordinals: omnivox::ErrorCode's values, then INTERNAL.
static const int kOmnivoxInternal = 6;

static jstring omnivox_to_jstring(JNIEnv* jenv, const std::string& s);

// Throws org.omnivox.OmnivoxException(code, message) into Java (pending when the wrapper
// returns).
static void omnivox_throw(JNIEnv* jenv, int code, const std::string& message) {
  if (jenv->ExceptionCheck()) return;
  jclass cls = jenv->FindClass("org/omnivox/OmnivoxException");
  if (cls == nullptr) return;  // NoClassDefFoundError is pending
  jmethodID ctor = jenv->GetMethodID(cls, "<init>", "(ILjava/lang/String;)V");
  if (ctor == nullptr) return;
  jstring jmessage = omnivox_to_jstring(jenv, message);
  jobject ex = jenv->NewObject(cls, ctor, static_cast<jint>(code), jmessage);
  if (ex != nullptr) jenv->Throw(static_cast<jthrowable>(ex));
  jenv->DeleteLocalRef(cls);
}

// Java String (UTF-16) -> UTF-8. Returns false with an OmnivoxException(INVALID_ARGUMENT)
// pending for null or for an unpaired surrogate (text no UTF-8 can carry).
static bool omnivox_from_jstring(JNIEnv* jenv, jstring s, std::string& out, const char* where) {
  if (s == nullptr) {
    omnivox_throw(jenv, 0, std::string(where) + ": a string argument is null");
    return false;
  }
  jsize n = jenv->GetStringLength(s);
  const jchar* p = jenv->GetStringChars(s, nullptr);
  if (p == nullptr) return false;  // OutOfMemoryError pending
  out.clear();
  out.reserve(static_cast<std::size_t>(n));
  bool ok = true;
  for (jsize i = 0; i < n && ok; ++i) {
    std::uint32_t c = p[i];
    if (c >= 0xD800 && c <= 0xDBFF) {
      if (i + 1 < n && p[i + 1] >= 0xDC00 && p[i + 1] <= 0xDFFF) {
        c = 0x10000 + ((c - 0xD800) << 10) + (p[i + 1] - 0xDC00);
        ++i;
      } else {
        ok = false;
      }
    } else if (c >= 0xDC00 && c <= 0xDFFF) {
      ok = false;
    }
    if (!ok) break;
    if (c < 0x80) {
      out += static_cast<char>(c);
    } else if (c < 0x800) {
      out += static_cast<char>(0xC0 | (c >> 6));
      out += static_cast<char>(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
      out += static_cast<char>(0xE0 | (c >> 12));
      out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (c & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (c >> 18));
      out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (c & 0x3F));
    }
  }
  jenv->ReleaseStringChars(s, p);
  if (!ok) {
    omnivox_throw(jenv, 0, std::string(where) + ": a string argument has an unpaired surrogate");
  }
  return ok;
}

// UTF-8 -> Java String; a malformed byte becomes U+FFFD.
static jstring omnivox_to_jstring(JNIEnv* jenv, const std::string& s) {
  std::u16string out;
  out.reserve(s.size());
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  std::size_t n = s.size();
  for (std::size_t i = 0; i < n;) {
    unsigned c = p[i];
    std::uint32_t cp = 0xFFFD;
    std::size_t len = 1;
    if (c < 0x80) {
      cp = c;
    } else {
      int extra = (c & 0xE0) == 0xC0 ? 1 : (c & 0xF0) == 0xE0 ? 2 : (c & 0xF8) == 0xF0 ? 3 : -1;
      if (extra > 0) {
        std::uint32_t v = c & (0x3F >> extra);
        bool good = true;
        for (int k = 1; k <= extra && good; ++k) {
          if (i + k >= n || (p[i + k] & 0xC0) != 0x80) {
            good = false;
          } else {
            v = (v << 6) | (p[i + k] & 0x3F);
          }
        }
        static const std::uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
        if (good && v >= kMin[extra] && v <= 0x10FFFF && !(v >= 0xD800 && v <= 0xDFFF)) {
          cp = v;
          len = static_cast<std::size_t>(extra) + 1;
        }
      }
    }
    if (cp >= 0x10000) {
      cp -= 0x10000;
      out += static_cast<char16_t>(0xD800 + (cp >> 10));
      out += static_cast<char16_t>(0xDC00 + (cp & 0x3FF));
    } else {
      out += static_cast<char16_t>(cp);
    }
    i += len;
  }
  return jenv->NewString(reinterpret_cast<const jchar*>(out.data()), static_cast<jsize>(out.size()));
}
%}

// ---- callback frames: engine threads attach once and free their local references ----
%{
#include <vector>

static JavaVM* omnivox_jvm = nullptr;
// One entry per nested callback on this thread: whether a local frame was pushed.
static thread_local std::vector<bool> omnivox_frames;

static void omnivox_frame_enter() {
  JNIEnv* env = nullptr;
  if (omnivox_jvm->GetEnv(reinterpret_cast<void**>(&env), JNI_VERSION_1_6) != JNI_OK) {
    // An engine thread's first callback: attach it as a daemon (the JVM need not wait for
    // it); SWIG's director then registers the detach for the thread's end
    // (SWIG_JAVA_DETACH_ON_THREAD_END).
    JavaVMAttachArgs args{JNI_VERSION_1_6, const_cast<char*>("omnivox-engine"), nullptr};
    if (omnivox_jvm->AttachCurrentThreadAsDaemon(reinterpret_cast<void**>(&env), &args) !=
        JNI_OK) {
      env = nullptr;
    }
  }
  omnivox_frames.push_back(env != nullptr && env->PushLocalFrame(16) == 0);
}

static void omnivox_frame_leave() {
  bool pushed = !omnivox_frames.empty() && omnivox_frames.back();
  if (!omnivox_frames.empty()) omnivox_frames.pop_back();
  JNIEnv* env = nullptr;
  if (pushed &&
      omnivox_jvm->GetEnv(reinterpret_cast<void**>(&env), JNI_VERSION_1_6) == JNI_OK) {
    env->PopLocalFrame(nullptr);
  }
}

extern "C" JNIEXPORT jint JNICALL JNI_OnLoad(JavaVM* vm, void*) {
  omnivox_jvm = vm;
  omnivox::bindings::set_callback_frame({omnivox_frame_enter, omnivox_frame_leave});
  return JNI_VERSION_1_6;
}
%}

// ---- the native library ----
%pragma(java) jniclasscode=%{
  static {
    // -Dorg.omnivox.library=/path/libomnivox_java.so, else java.library.path.
    String path = System.getProperty("org.omnivox.library");
    if (path != null && !path.isEmpty()) {
      System.load(path);
    } else {
      System.loadLibrary("omnivox_java");
    }
  }
%}
%pragma(java) moduleclassmodifiers="public final class"

// ---- strings: UTF-16 <-> UTF-8 exactly; null or unpaired surrogate -> OmnivoxException ----
// Proper Java enums (Disposition.NO_ANSWER.name()), constants compiled in.
%include "enums.swg"
%javaconst(1);
%include "std_string.i"
%include "std_vector.i"
%include "stdint.i"

namespace std {
%typemap(in) string
%{ if (!omnivox_from_jstring(jenv, $input, $1, "$symname")) return $null; %}
%typemap(in) const string & ($*1_ltype temp)
%{ if (!omnivox_from_jstring(jenv, $input, temp, "$symname")) return $null;
   $1 = &temp; %}
%typemap(out) string %{ $result = omnivox_to_jstring(jenv, $1); %}
%typemap(out) const string & %{ $result = omnivox_to_jstring(jenv, *$1); %}
%typemap(directorin, descriptor="Ljava/lang/String;") string, const string &
%{ $input = omnivox_to_jstring(jenv, $1);
   Swig::LocalRefGuard $1_refguard(jenv, $input); %}
}

// ---- null objects and closed handles -> OmnivoxException, never a crash ----
%typemap(in) SWIGTYPE & %{ $1 = *($&1_ltype)&$input;
  if (!$1) {
    omnivox_throw(jenv, 0, "$symname: a $*1_type argument is null");
    return $null;
  } %}
%typemap(check) SWIGTYPE *self %{
  if (!$1) {
    omnivox_throw(jenv, 5, "$symname: the object was closed or deleted");
    return $null;
  } %}
%typemap(javain) enum SWIGTYPE "OmnivoxException.requireArgument($javainput, \"$javainput\").swigValue()"

// ---- C++ exceptions -> OmnivoxException(code) ----
%exception {
  try {
    $action
  } catch (const omnivox::Error& e) {
    omnivox_throw(jenv, static_cast<int>(e.code()), e.what());
    return $null;
  } catch (const Swig::DirectorException& e) {
    e.throwException(jenv);
    return $null;
  } catch (const std::bad_alloc&) {
    omnivox_throw(jenv, kOmnivoxInternal, "out of memory");
    return $null;
  } catch (const std::exception& e) {
    omnivox_throw(jenv, kOmnivoxInternal, std::string("internal error: ") + e.what());
    return $null;
  } catch (...) {
    omnivox_throw(jenv, kOmnivoxInternal, "internal error (unknown exception)");
    return $null;
  }
}

// ---- names ----
%rename("%(lowercamelcase)s", %$isfunction) "";
%rename("%(lowercamelcase)s", %$isvariable) "";

%template(StringList) std::vector<std::string>;
%template(LongList) std::vector<long long>;

// ---- directors ----
// A Java exception thrown by a callback becomes a C++ std::runtime_error carrying the
// throwable's toString() ("java.lang.IllegalStateException: message"); the facade catches it
// at the engine boundary, logs it and keeps it as Engine.lastCallbackError().
%{
#include <stdexcept>

static std::runtime_error omnivox_callback_error(JNIEnv* jenv, jthrowable error) {
  jenv->ExceptionClear();
  std::string text = "Java exception";
  jclass throwable = jenv->FindClass("java/lang/Throwable");
  if (throwable != nullptr) {
    jmethodID to_string = jenv->GetMethodID(throwable, "toString", "()Ljava/lang/String;");
    if (to_string != nullptr) {
      auto jtext = static_cast<jstring>(jenv->CallObjectMethod(error, to_string));
      if (jenv->ExceptionCheck()) {
        jenv->ExceptionClear();  // toString() itself threw: keep the generic text
      } else if (jtext != nullptr) {
        std::string converted;
        if (omnivox_from_jstring(jenv, jtext, converted, "toString")) text = converted;
        if (jenv->ExceptionCheck()) jenv->ExceptionClear();
        jenv->DeleteLocalRef(jtext);
      }
    }
    jenv->DeleteLocalRef(throwable);
  }
  if (jenv->ExceptionCheck()) jenv->ExceptionClear();
  jenv->DeleteLocalRef(error);
  return std::runtime_error(text);
}
%}
%feature("director:except") %{
  jthrowable $error = jenv->ExceptionOccurred();
  if ($error) {
    throw omnivox_callback_error(jenv, $error);
  }
%}
%feature("director") omnivox::bindings::TelephonyBackend;
%feature("director") omnivox::bindings::EventListener;

// ---- callback records: only the engine makes them, Java sees them during one callback ----
// No Java constructor and no finalizer: a callback's argument is a view of a C++ object on the
// engine thread's stack (valid only during the callback), so nothing needs the finalizer
// thread — at thousands of callbacks a second that would only queue garbage for it.
%define OMNIVOX_CALLBACK_RECORD(T)
%nodefaultctor omnivox::bindings::T;
%nodefaultdtor omnivox::bindings::T;
%typemap(javafinalize) omnivox::bindings::T ""
%enddef
OMNIVOX_CALLBACK_RECORD(OriginateInfo)
OMNIVOX_CALLBACK_RECORD(CallStateEvent)
OMNIVOX_CALLBACK_RECORD(AgentStateEvent)
OMNIVOX_CALLBACK_RECORD(PacingEvent)
OMNIVOX_CALLBACK_RECORD(AttemptRecord)

// ---- Engine: factories keep the Java backend and listener reachable; AutoCloseable ----
%nodefaultctor omnivox::bindings::Engine;
%newobject omnivox::bindings::Engine::create;
%newobject omnivox::bindings::Engine::simulation;
%newobject omnivox::bindings::Engine::simulation_file;
%rename(createNative) omnivox::bindings::Engine::create;
%rename(simulationNative) omnivox::bindings::Engine::simulation;
%rename(simulationFileNative) omnivox::bindings::Engine::simulation_file;
%rename(closeNative) omnivox::bindings::Engine::close;
%rename(addContactNative) omnivox::bindings::Engine::add_contact;
%javamethodmodifiers omnivox::bindings::Engine::create "private";
%javamethodmodifiers omnivox::bindings::Engine::simulation "private";
%javamethodmodifiers omnivox::bindings::Engine::simulation_file "private";
%javamethodmodifiers omnivox::bindings::Engine::close "private";
%javamethodmodifiers omnivox::bindings::Engine::add_contact "private";
%typemap(javainterfaces) omnivox::bindings::Engine "AutoCloseable"
%typemap(javacode) omnivox::bindings::Engine %{
  // The Java callbacks this engine calls: kept reachable while it lives.
  private TelephonyBackend telephonyRef;
  private EventListener listenerRef;

  /** An engine over memory or SQLite storage and a virtual or system clock; telephony null =
   *  the SIP backend if config.sipJson is set, else the built-in simulator. See EngineConfig. */
  public static Engine create(EngineConfig config, TelephonyBackend telephony,
                              EventListener listener) {
    Engine e = createNative(config, telephony, listener);
    e.telephonyRef = telephony;
    e.listenerRef = listener;
    return e;
  }

  /** The simulation rig of campaign-file JSON (relative paths against baseDir). */
  public static Engine simulation(String campaignJson, String baseDir, EventListener listener) {
    Engine e = simulationNative(campaignJson, baseDir, listener);
    e.listenerRef = listener;
    return e;
  }

  /** The simulation rig of a campaign file. */
  public static Engine simulationFile(String path, EventListener listener) {
    Engine e = simulationFileNative(path, listener);
    e.listenerRef = listener;
    return e;
  }

  /** Adds a contact with its E.164 numbers (dialing order); returns its id. */
  public long addContact(String campaignId, String externalId, String... numbers) {
    OmnivoxException.requireArgument(numbers, "numbers");
    for (String n : numbers) OmnivoxException.requireArgument(n, "numbers[i]");
    return addContactNative(campaignId, externalId, new StringList(numbers));
  }

  /** Stops the engine's threads and frees it (idempotent). Not from inside a callback. */
  @Override
  public synchronized void close() {
    if (swigCPtr != 0) {
      closeNative();
      delete();
    }
    telephonyRef = null;
    listenerRef = null;
  }
%}

// Lists of agent statistics records (declared before the facade so its members use them).
namespace omnivox {
namespace bindings {
struct AgentActivity;
struct AgentSummary;
}
}
%template(AgentActivityList) std::vector<omnivox::bindings::AgentActivity>;
%template(AgentSummaryList) std::vector<omnivox::bindings::AgentSummary>;

%include "omnivox_java.h"

// ---- Erlang B / C / A (module class Omnivox: Omnivox.erlangB(...)) ----
%include "omnivox/erlang.h"

#!/usr/bin/env bash
# Builds a labelled corpus for answering-machine detection from Debian packages alone (espeak-ng,
# flite, sox): OUTDIR/human/*.wav (a person answers briefly and waits), OUTDIR/machine/*.wav
# (voicemail greetings, some ending in a beep) and OUTDIR/fax/*.wav (CNG and CED tones).
# Usage: tests/amd/make_corpus.sh OUTDIR [N [FIRST]]   (N files in all, default 60; about 40 %
# people, 45 % machines, 15 % fax; FIRST, default 0, is the first variant index: corpora with
# different FIRST combine the variant lists differently, e.g. a held-out set to check thresholds
# tuned on another)
# Every file passes through the telephone band (300–3400 Hz, 8 kHz), gets 0.2–1.5 s of leading
# silence and line noise (white, pink or brown) from about 5 to 40 dB under the speech; a third are stored as G.711 (u-law or
# A-law WAV). Deterministic: variants are picked from fixed lists by the file's index, and sox
# runs in repeatable mode (-R), so the same N gives the same files.
set -euo pipefail
out="${1:?usage: make_corpus.sh OUTDIR [N]}"
n="${2:-60}"
first="${3:-0}"
for tool in sox espeak-ng flite; do
  command -v "$tool" >/dev/null || { echo "make_corpus: $tool not installed" >&2; exit 2; }
done
mkdir -p "$out/human" "$out/machine" "$out/fax"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

humans=("Hello?" "Hi, this is Maria." "Yes?" "Hello, who is this?" "Hello." "Yeah?"
  "Hi." "Speaking." "Good morning." "Hey." "This is Tom." "Hello, yes?" "Who is it?" "Hi there."
  "Yes, hello." "Maria speaking." "Hello, Smith residence." "Yes, this is he.")
seconds=("Hello?" "Hello? Anyone there?" "Yes?" "Hello?" "Can you hear me?")
machines=(
  "Hi, you've reached the voicemail of John Smith. I can't take your call right now, please leave a message after the tone."
  "Hello, you have reached Maria Garcia. I am not available at the moment. Please leave your name and number and I will call you back."
  "The person you are calling is not available. Please leave a message after the tone."
  "Thank you for calling Acme Plumbing. Our office is currently closed. Our business hours are Monday to Friday, nine to five."
  "Hi, this is David. Sorry I missed your call. Leave a message and I'll get back to you as soon as I can."
  "You have reached the voice mailbox of five five five, zero one two three. Please record your message after the tone."
  "Hey, it's Sarah, I can't come to the phone right now. You know what to do."
  "Welcome to the voice messaging system. The subscriber you have dialed is not available. Please try again later."
  "Hello. You've reached the Johnson family. We're not home right now, so leave a message at the beep."
  "Hi, you've reached Mike's phone. Leave me a message and I will return your call."
  "Good afternoon, you have reached the law offices of Brown and Partners. Please leave a detailed message."
  "This is Linda. I'm away from my desk. Please leave your name, number, and a short message."
  "Your call has been forwarded to an automated voice messaging system. Nine one two, three four five, is not available."
  "Hi, this is Kevin and Jessica. We can't answer the phone right now. Leave a message after the beep."
  "Thanks for calling. Please leave a message and we will get back to you shortly. Have a great day."
  "Hello, this is Doctor Patel's office. We are closed for the day. If this is an emergency, please hang up and dial nine one one."
)
# TTS voices: espeak-ng voice+variant, speed (words per minute), pitch; flite voices with a
# duration stretch.
espeak_voices=("en-us+m3" "en-us+f3" "en+m1" "en-gb+f2" "en-us+f4" "en-gb-x-rp+m2" "en-us+f1"
  "en-029+m4")
espeak_speeds=(150 165 175 185 140 160 195 170)
espeak_pitches=(40 55 70 35 60 50 45 65)
flite_voices=(slt kal awb rms)
flite_stretch=(1.0 0.9 1.1 1.05)
noise_kinds=(whitenoise brownnoise pinknoise)
# Noise amplitude (sox vol; whitenoise at vol 1 is about -5 dBFS RMS) against speech peaking at
# -3..-15 dBFS: from about 5 dB (vol 0.05 under quiet speech) to over 40 dB under the speech.
noise_vols=(0.002 0.005 0.01 0.02 0.004 0.03 0.008 0.015 0.001 0.05 0.012)
speech_gains=(-3 -6 -9 -12 -15 -5 -8 -10)
leads=(0.2 0.5 0.9 1.3 0.35 1.5 0.7 1.1 0.25)

# speak INDEX TEXT OUT: TTS in the index's voice, band-limited to the telephone band at 8 kHz.
speak() {
  local i="$1" text="$2" o="$3" raw="$3.raw.wav"
  if (( i % 3 == 2 )); then
    local v=$(( i / 3 % ${#flite_voices[@]} ))
    flite -voice "${flite_voices[$v]}" --setf duration_stretch="${flite_stretch[$v]}" \
      -t "$text" -o "$raw"
  else
    local v=$(( i % ${#espeak_voices[@]} )) s=$(( (i / 2) % ${#espeak_speeds[@]} ))
    espeak-ng -v "${espeak_voices[$v]}" -s "${espeak_speeds[$s]}" \
      -p "${espeak_pitches[$(( (i / 3) % 8 ))]}" -w "$raw" "$text"
  fi
  # Trim the engine's own leading/trailing silence so the script decides the timing.
  sox -R "$raw" -r 8000 -c 1 -b 16 "$o" highpass 300 lowpass 3400 \
    silence 1 0.02 0.5% reverse silence 1 0.02 0.5% reverse \
    gain -n "${speech_gains[$(( i % ${#speech_gains[@]} ))]}"
  rm -f "$raw"
}

silence() { sox -R -n -r 8000 -c 1 -b 16 "$2" trim 0 "$1"; }
tone() { sox -R -n -r 8000 -c 1 -b 16 "$3" synth "$2" sine "$1" gain -n -8; }

# finish INDEX IN LABEL NAME: leading silence, line noise, telephone band, maybe G.711.
finish() {
  local i="$1" in="$2" label="$3" name="$4" t="$work/$4"
  silence "${leads[$(( i % ${#leads[@]} ))]}" "$t.lead.wav"
  sox -R "$t.lead.wav" "$in" "$t.cat.wav"
  local len
  len="$(soxi -D "$t.cat.wav")"
  sox -R -n -r 8000 -c 1 -b 16 "$t.noise.wav" \
    synth "$len" "${noise_kinds[$(( i % 3 ))]}" vol "${noise_vols[$(( i % ${#noise_vols[@]} ))]}"
  sox -R -m "$t.cat.wav" "$t.noise.wav" "$t.mix.wav" highpass 300 lowpass 3400
  case $(( i % 3 )) in
    0) sox -R "$t.mix.wav" -e u-law "$out/$label/$name.wav" ;;
    1) sox -R "$t.mix.wav" -e a-law "$out/$label/$name.wav" ;;
    *) cp "$t.mix.wav" "$out/$label/$name.wav" ;;
  esac
  rm -f "$t".*.wav
}

make_human() {
  local i="$1" name t
  name="$(printf 'human_%04d' "$i")"
  t="$work/$name"
  speak "$i" "${humans[$(( i % ${#humans[@]} ))]}" "$t.a.wav"
  if (( i % 4 == 3 )); then
    # A second short utterance after a pause: the person repeats when nobody speaks.
    speak "$(( i + 1 ))" "${seconds[$(( i / 4 % ${#seconds[@]} ))]}" "$t.b.wav"
    silence "1.$(( 2 + i % 7 ))" "$t.gap.wav"
    silence 2.5 "$t.tail.wav"
    sox -R "$t.a.wav" "$t.gap.wav" "$t.b.wav" "$t.tail.wav" "$t.in.wav"
  else
    silence "3.$(( i % 9 ))" "$t.tail.wav"
    sox -R "$t.a.wav" "$t.tail.wav" "$t.in.wav"
  fi
  if (( i % 8 == 6 )); then
    # A television in the room: other speech 25 dB under the person's.
    speak "$(( i + 5 ))" "${machines[$(( i % ${#machines[@]} ))]}" "$t.tv.wav"
    sox -R "$t.tv.wav" "$t.tv2.wav" vol -25 dB
    sox -R -m "$t.in.wav" "$t.tv2.wav" "$t.mixed.wav" trim 0 "$(soxi -D "$t.in.wav")"
    mv "$t.mixed.wav" "$t.in.wav"
  fi
  finish "$i" "$t.in.wav" human "$name"
  rm -f "$t".*.wav
}

make_machine() {
  local i="$1" name t
  name="$(printf 'machine_%04d' "$i")"
  t="$work/$name"
  speak "$i" "${machines[$(( i % ${#machines[@]} ))]}" "$t.a.wav"
  if (( i % 12 == 5 )); then
    # The hard case of every timing detector: a greeting that opens like a person ("Hello?"),
    # pauses, then goes on.
    speak "$i" "Hello?" "$t.open.wav"
    silence "0.$(( 6 + (i / 12) % 5 ))" "$t.pause.wav"
    sox -R "$t.open.wav" "$t.pause.wav" "$t.a.wav" "$t.a2.wav"
    mv "$t.a2.wav" "$t.a.wav"
  fi
  if (( i % 2 == 0 )); then
    silence 0.4 "$t.gap.wav"
    tone 1000 0.5 "$t.beep.wav"
    silence 1 "$t.tail.wav"
    sox -R "$t.a.wav" "$t.gap.wav" "$t.beep.wav" "$t.tail.wav" "$t.in.wav"
  else
    silence 1 "$t.tail.wav"
    sox -R "$t.a.wav" "$t.tail.wav" "$t.in.wav"
  fi
  finish "$i" "$t.in.wav" machine "$name"
  rm -f "$t".*.wav
}

make_fax() {
  local i="$1" name t
  name="$(printf 'fax_%04d' "$i")"
  t="$work/$name"
  if (( i % 2 == 0 )); then
    # CNG, T.30: 1100 Hz, 0.5 s on, 3 s off, from the calling fax.
    tone 1100 0.5 "$t.on.wav"
    silence 3 "$t.off.wav"
    sox -R "$t.on.wav" "$t.off.wav" "$t.on.wav" "$t.off.wav" "$t.in.wav"
  else
    # CED, T.30 / V.25: 2100 Hz for about 3 s, from the answering fax or modem.
    tone 2100 3 "$t.in.wav"
    silence 1 "$t.tail.wav"
    sox -R "$t.in.wav" "$t.tail.wav" "$t.in2.wav"
    mv "$t.in2.wav" "$t.in.wav"
  fi
  finish "$i" "$t.in.wav" fax "$name"
  rm -f "$t".*.wav
}

n_human=$(( n * 2 / 5 ))
n_fax=$(( n * 3 / 20 ))
(( n_fax >= 2 )) || n_fax=2
n_machine=$(( n - n_human - n_fax ))
export -f speak silence tone finish make_human make_machine make_fax
export out work
jobs_list() {
  for (( i = first; i < first + n_human; ++i )); do echo "make_human $i"; done
  for (( i = first; i < first + n_machine; ++i )); do echo "make_machine $i"; done
  for (( i = first; i < first + n_fax; ++i )); do echo "make_fax $i"; done
}
# The variant lists are arrays, which bash does not export: each job re-reads this file's lists.
lists="$work/lists.sh"
declare -p humans seconds machines espeak_voices espeak_speeds espeak_pitches flite_voices \
  flite_stretch noise_kinds noise_vols speech_gains leads >"$lists"
export lists
jobs_list | xargs -P "${AMD_CORPUS_JOBS:-2}" -I{} bash -c 'set -euo pipefail; source "$lists"; {}'
echo "make_corpus: $n_human human, $n_machine machine, $n_fax fax files in $out"

#!/usr/bin/env bash
# Regenerates fixtures/*.wav and fixtures/manifest.json from text, with espeak-ng and sox (Debian packages
# espeak-ng and sox). Speech times in the manifest come from the construction: each synthesized clip is
# trimmed of its own leading/trailing silence (sox `silence`, -50 dB), measured in samples, and placed
# between silences of known length.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=fixtures
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$OUT"
VOICE=${VOICE:-en-us}
RATE=16000

# say NAME TEXT [RATE]: a trimmed mono PCM16 clip at RATE (default 16 kHz), gain-normalized to -3 dBFS.
say() {
  local name=$1 text=$2 rate=${3:-$RATE}
  espeak-ng -v "$VOICE" -s 165 -w "$TMP/$name.raw.wav" "$text"
  sox "$TMP/$name.raw.wav" -r "$rate" -c 1 -b 16 "$TMP/$name.wav" \
    silence 1 0.005 -50d reverse silence 1 0.005 -50d reverse gain -n -3
}
# gap NAME SECONDS [RATE]: digital silence.
gap() { sox -n -r "${3:-$RATE}" -c 1 -b 16 "$TMP/$1.wav" trim 0 "$2"; }
samples() { soxi -s "$1"; }
ms() { echo $(( ($1 * 1000 + $2 / 2) / $2 )); } # samples rate -> ms, rounded

ENTRIES=()
# entry NAME PATH RATE CHANNELS ENCODING DESCRIPTION UTTERANCES_JSON
entry() {
  local dur
  dur=$(ms "$(samples "$OUT/$2")" "$3")
  ENTRIES+=("    {\"name\": \"$1\", \"path\": \"$2\", \"sampleRate\": $3, \"channels\": $4, \"encoding\": \"$5\", \"durationMs\": $dur, \"description\": \"$6\", \"utterances\": [$7]}")
}
utt() { echo "{\"text\": \"$1\", \"startMs\": $2, \"endMs\": $3}"; }

# build NAME RATE PAD_S TEXT1 GAP_S TEXT2 ... PAD_END_S -> $TMP/NAME.wav (mono PCM16) and $UTTS
build() {
  local name=$1 rate=$2 pad=$3
  shift 3
  local parts=() pos=0 i=0 utts=()
  gap "${name}_pad0" "$pad" "$rate"
  parts+=("$TMP/${name}_pad0.wav")
  pos=$(samples "$TMP/${name}_pad0.wav")
  while [ $# -gt 1 ]; do
    local text=$1 after=$2
    shift 2
    i=$((i + 1))
    say "${name}_s$i" "$text" "$rate"
    local n
    n=$(samples "$TMP/${name}_s$i.wav")
    utts+=("$(utt "$text" "$(ms "$pos" "$rate")" "$(ms $((pos + n)) "$rate")")")
    pos=$((pos + n))
    gap "${name}_g$i" "$after" "$rate"
    parts+=("$TMP/${name}_s$i.wav" "$TMP/${name}_g$i.wav")
    pos=$((pos + $(samples "$TMP/${name}_g$i.wav")))
  done
  sox "${parts[@]}" "$TMP/$name.wav"
  UTTS=$(IFS=,; echo "${utts[*]}")
}

# 1. one sentence
build one-sentence $RATE 0.5 "The quick brown fox jumps over the lazy dog." 1.0
cp "$TMP/one-sentence.wav" "$OUT/one-sentence.wav"
entry one-sentence one-sentence.wav $RATE 1 pcm16 "One sentence, 16 kHz PCM16" "$UTTS"

# 2. two sentences with a 1.5 s pause (16 kHz mu-law WAV, half the bytes)
build two-sentences $RATE 0.5 "I would like to change my flight to Monday." 1.5 "The morning one, if it is still available." 1.0
sox "$TMP/two-sentences.wav" -e u-law -b 8 "$OUT/two-sentences.wav"
entry two-sentences two-sentences.wav $RATE 1 mulaw "Two sentences with a 1.5 s pause, 16 kHz mu-law" "$UTTS"

# 3. a long ~20 s utterance without pauses long enough to end a turn (8 kHz mu-law, telephone quality)
LONG="So here is the whole story from the very beginning because I think you need all of it, I bought a new washing machine from your shop about three weeks ago and it was delivered on a Tuesday morning by two very friendly men who installed it in the kitchen and everything was fine for ten days but then it started making a loud banging noise during the spin cycle"
build long-utterance 8000 0.5 "$LONG" 1.0
sox "$TMP/long-utterance.wav" -e u-law -b 8 "$OUT/long-utterance.wav"
entry long-utterance long-utterance.wav 8000 1 mulaw "One long utterance of about 20 s, 8 kHz mu-law" "$UTTS"

# 4. silence only (with a faint noise floor, as a real line has)
sox -n -r $RATE -c 1 -b 16 "$OUT/silence.wav" synth 2 whitenoise vol 0.0005
entry silence silence.wav $RATE 1 pcm16 "Two seconds of near silence (-66 dBFS noise floor)" ""

# 5. noise only: pink noise at a moderate level, no speech
sox -n -r $RATE -c 1 -b 16 "$OUT/noise.wav" synth 2 pinknoise vol 0.15
entry noise noise.wav $RATE 1 pcm16 "Two seconds of pink noise, no speech" ""

# 6. 8 kHz mu-law telephony recording
build telephony 8000 0.5 "Hello, I am calling about my internet connection." 1.0
sox "$TMP/telephony.wav" -e u-law -b 8 "$OUT/telephony-mulaw.wav"
entry telephony-mulaw telephony-mulaw.wav 8000 1 mulaw "Telephony: 8 kHz G.711 mu-law WAV" "$UTTS"

# 7. 48 kHz stereo: the speech on both channels, the right one 6 dB quieter (read as the average of both)
build stereo 48000 0.3 "Good morning, how are you?" 0.3
sox "$TMP/stereo.wav" "$TMP/stereo-right.wav" vol 0.5
sox -M "$TMP/stereo.wav" "$TMP/stereo-right.wav" -b 16 "$OUT/stereo-48k.wav"
entry stereo-48k stereo-48k.wav 48000 2 pcm16 "48 kHz stereo PCM16 (downmixed to mono when read)" "$UTTS"

# 8. a three-turn demo call, 16 kHz mono PCM16
build call-3turns $RATE 0.5 "What's the weather like in Paris today?" 3.0 "Can you book me a table for two at eight?" 3.0 "Thanks, that's all." 1.0
cp "$TMP/call-3turns.wav" "$OUT/call-3turns.wav"
entry call-3turns call-3turns.wav $RATE 1 pcm16 "Demo call: three caller sentences about 3 s apart, 16 kHz PCM16" "$UTTS"

# 9. the demo call for `npm start` and the latency bench: the same three sentences, with pauses long
#    enough (10 s) for each reply to finish before the caller speaks again
build demo-call $RATE 0.5 "What's the weather like in Paris today?" 10.0 "Can you book me a table for two at eight?" 10.0 "Thanks, that's all." 4.0
cp "$TMP/demo-call.wav" "$OUT/demo-call.wav"
entry demo-call demo-call.wav $RATE 1 pcm16 "Demo call for npm start and the bench: three caller sentences 10 s apart, 16 kHz PCM16" "$UTTS"

{
  echo '{'
  echo '  "generator": "scripts/make-fixtures.sh (espeak-ng + sox); times in ms from the start of the file",'
  echo '  "files": ['
  (IFS=$'\n'; echo "${ENTRIES[*]}" | sed '$!s/$/,/')
  echo '  ]'
  echo '}'
} > "$OUT/manifest.json"
ls -l "$OUT"

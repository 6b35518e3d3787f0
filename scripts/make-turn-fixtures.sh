#!/usr/bin/env bash
# Regenerates fixtures/turns/*.wav and fixtures/turns/manifest.json: labelled caller turns for the end-of-turn
# benchmark (bench/turns.ts), made with espeak-ng and sox (Debian packages espeak-ng and sox).
#   complete-*: one utterance said in one go (espeak's own short comma pauses only);
#   paused-*:   an utterance with a mid-sentence pause of 300-900 ms inserted (hesitations, digits, lists),
#               the caller going on after it.
# Each piece is synthesized, trimmed of its own silence (sox `silence`, -50 dB) and measured in samples, so
# the labels (ms from the start of the file) come from the construction. 8 kHz G.711 mu-law, as a phone
# line carries it; 500 ms of silence before the speech and 2.5 s after (longer than any end-of-turn wait).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=fixtures/turns
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$OUT"
VOICE=${VOICE:-en-us}
RATE=8000
LEAD=0.5
TRAIL=2.5

say() { # say NAME TEXT: a trimmed mono clip at $RATE, gain-normalized to -3 dBFS
  espeak-ng -v "$VOICE" -s 165 -w "$TMP/$1.raw.wav" "$2"
  sox "$TMP/$1.raw.wav" -r "$RATE" -c 1 -b 16 "$TMP/$1.wav" silence 1 0.005 -50d reverse silence 1 0.005 -50d reverse gain -n -3
}
gap() { sox -n -r "$RATE" -c 1 -b 16 "$TMP/$1.wav" trim 0 "$2"; }
samples() { soxi -s "$1"; }
ms() { echo $(( ($1 * 1000 + RATE / 2) / RATE )); }
json() { local s=${1//\\/\\\\}; echo "\"${s//\"/\\\"}\""; }

ENTRIES=()
# turn NAME TEXT_BEFORE [PAUSE_MS TEXT_AFTER]: writes $OUT/NAME.wav and its manifest entry
turn() {
  local name=$1 before=$2 pause_ms=${3:-} after=${4:-}
  gap "${name}_lead" "$LEAD"
  gap "${name}_trail" "$TRAIL"
  say "${name}_a" "$before"
  local lead a start end parts=("$TMP/${name}_lead.wav" "$TMP/${name}_a.wav") text=$before pause=null complete=true
  lead=$(samples "$TMP/${name}_lead.wav")
  a=$(samples "$TMP/${name}_a.wav")
  start=$(ms "$lead")
  end=$(ms $((lead + a)))
  if [ -n "$pause_ms" ]; then
    gap "${name}_pause" "$(awk "BEGIN { print $pause_ms / 1000 }")"
    say "${name}_b" "$after"
    local p b
    p=$(samples "$TMP/${name}_pause.wav")
    b=$(samples "$TMP/${name}_b.wav")
    parts+=("$TMP/${name}_pause.wav" "$TMP/${name}_b.wav")
    pause="{\"startMs\": $end, \"lengthMs\": $(ms "$p"), \"textBefore\": $(json "$before"), \"resumeMs\": $(ms $((lead + a + p)))}"
    end=$(ms $((lead + a + p + b)))
    text="$before $after"
    complete=false
  fi
  parts+=("$TMP/${name}_trail.wav")
  sox "${parts[@]}" "$TMP/$name.wav"
  sox "$TMP/$name.wav" -e u-law -b 8 "$OUT/$name.wav"
  ENTRIES+=("    {\"name\": \"$name\", \"path\": \"$name.wav\", \"sampleRate\": $RATE, \"encoding\": \"mulaw\", \"durationMs\": $(ms "$(samples "$OUT/$name.wav")"), \"text\": $(json "$text"), \"complete\": $complete, \"speechStartMs\": $start, \"speechEndMs\": $end, \"pause\": $pause}")
}

turn complete-01 "What time do you open tomorrow?"
turn complete-02 "I'd like to check my balance."
turn complete-03 "Please cancel my last order."
turn complete-04 "Can you book me a table for two at eight?"
turn complete-05 "My card number is 4 5 7 2."
turn complete-06 "Thanks, that's all for today."
turn complete-07 "I need to speak to someone about my bill."
turn complete-08 "Is the pharmacy on Main Street open on Sundays?"
turn complete-09 "Yes, that's correct."
turn complete-10 "I want to change my delivery address."
turn complete-11 "How much does the premium plan cost per month?"
turn complete-12 "No, thank you."

turn paused-01 "I'd like to, um," 600 "check my balance."
turn paused-02 "My card number is 4 5" 700 "7 2."
turn paused-03 "I need milk, eggs," 500 "and bread."
turn paused-04 "Can you book a table for" 400 "four people tonight?"
turn paused-05 "I'm calling because" 800 "my internet stopped working."
turn paused-06 "The account is under the name of" 900 "John Smith."
turn paused-07 "Let me think, it was" 650 "last Tuesday, I think."
turn paused-08 "I want to change my flight to" 300 "Monday morning."
turn paused-09 "So the problem is" 750 "the heater makes a loud noise."
turn paused-10 "My postcode is S W 1" 850 "A 2 A A."
turn paused-11 "Could you tell me, uh," 550 "what time you close?"
turn paused-12 "I would like to pay with" 350 "my credit card."

{
  echo '{'
  echo '  "generator": "scripts/make-turn-fixtures.sh (espeak-ng + sox); times in ms from the start of the file",'
  echo '  "labels": "text: the whole turn; complete: said in one go (false: a mid-sentence pause, then more words); speechStartMs/speechEndMs: first and last speech sample; pause: the inserted pause (startMs, lengthMs, resumeMs) and textBefore, the words said before it",'
  echo '  "turns": ['
  (IFS=$'\n'; echo "${ENTRIES[*]}" | sed '$!s/$/,/')
  echo '  ]'
  echo '}'
} > "$OUT/manifest.json"
ls -l "$OUT" | tail -3
du -sh "$OUT"

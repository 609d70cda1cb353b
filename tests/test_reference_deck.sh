#!/bin/sh
# test_reference_deck.sh ENV.SH -- input/reference.deck documents every key of the schema exactly
# as 'wowflow --reference-deck' prints it, and every shipped deck passes --check-deck.
. "$1"
W=$(workdir reference_deck)
"$WOWFLOW" --reference-deck > "$W/reference.deck" || fail "--reference-deck failed"
diff -u "$SRCDIR/input/reference.deck" "$W/reference.deck" || fail "input/reference.deck is out of date: regenerate it with 'src/wowflow --reference-deck > input/reference.deck'"
for d in "$SRCDIR"/input/*.deck "$SRCDIR"/input/experiments/*.deck; do
  case "$d" in */reference.deck) continue ;; esac
  (cd "$W" && "$WOWFLOW" --check-deck "$d" > /dev/null) || fail "$d does not pass --check-deck"
  echo "ok $(basename "$d")"
done

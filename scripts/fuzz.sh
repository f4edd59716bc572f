#!/usr/bin/env bash
# Run each libFuzzer harness for $FUZZ_SECONDS on a corpus seeded from the
# test vectors (tests/vectors). Exit 1 if any harness finds a crash (kept in
# build-fuzz/crashes/<harness>/).
#   scripts/fuzz.sh build-fuzz/fuzz_x ...
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
DATA=tests/vectors
SECS=${FUZZ_SECONDS:-10}
FZ=build-fuzz
status=0

seed() { # seed NAME: fill $FZ/corpus/NAME
  local d="$FZ/corpus/$1"
  mkdir -p "$d"
  case "$1" in
    fuzz_envelope)
      local i=0
      for f in "$DATA"/*-request.json; do
        for b in '\000' '\001' '\002' '\003' '\004' '\005'; do
          { printf "$b"; node -e 'process.stdout.write(JSON.stringify(JSON.parse(require("fs").readFileSync(process.argv[1])).body))' "$f"; } > "$d/v$i"
          i=$((i + 1))
        done
      done ;;
    fuzz_connstr)
      node -e 'for (const [i,c] of JSON.parse(require("fs").readFileSync(process.argv[1])).cases.entries()) require("fs").writeFileSync(process.argv[2]+"/c"+i, c.input)' \
        "$DATA/connection-strings.json" "$d" ;;
    fuzz_token)
      grep -ohE 'eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+' "$DATA"/*.json "$DATA"/signalr/*.txt \
        | sort -u | awk -v d="$d" '{ f = d "/t" NR; printf "%s", $0 > f; close(f) }' ;;
    fuzz_jsonx)
      local i=0
      for f in "$DATA"/*.json; do cp "$f" "$d/j$i"; i=$((i + 1)); done ;;
    fuzz_ncrontab)
      local i=0
      for e in '0 */5 * * * *' '0 0 * * * *' '0 30 9 * * 1-5' '*/15 * * * * *' \
               '0 0 12 29 2 *' '0 0 0 1 jan-mar mon,wed' '5 4 * * sun' '0 0 0 30 2 *'; do
        printf '%s' "$e" > "$d/n$i"; i=$((i + 1))
      done ;;
    fuzz_hubproto)
      # every record of the hub message vectors (handshakes included), ended
      # by 0x1E; the first byte is the harness's piece size / cap selector
      local i=0
      grep -h '^{' "$DATA"/signalr/hub-messages.txt | while IFS= read -r l; do
        { printf '\007%s\036' "$l"; } > "$d/h$i"; i=$((i + 1))
      done
      printf '\003{"protocol":"json","version":1}\036{"type":6}\036{"type":1,"target":"send","arguments":["a"]}\036' > "$d/multi" ;;
    fuzz_hubmsgpack)
      # every framed message of the MessagePack vectors (client and
      # service), one per file, and the client's all in one stream
      node -e '
        const fs = require("fs");
        const rows = fs.readFileSync(process.argv[1], "utf8").split("\n");
        const hex = rows.filter((l) => /^(client|service) /.test(l))
          .map((l) => l.startsWith("client ") ? l.split(" ")[1] : l.slice(l.lastIndexOf(" ") + 1));
        hex.forEach((h, i) => fs.writeFileSync(`${process.argv[2]}/m${i}`,
          Buffer.concat([Buffer.from([7]), Buffer.from(h, "hex")])));
        const client = rows.filter((l) => l.startsWith("client ")).map((l) => l.split(" ")[1]).join("");
        fs.writeFileSync(`${process.argv[2]}/stream`, Buffer.concat([Buffer.from([3]), Buffer.from(client, "hex")]));
      ' "$DATA"/signalr/msgpack-messages.txt "$d" ;;
    fuzz_rest_route)
      # the REST API paths of the vectors, each under every method selector
      local i=0
      grep -h '^/api/' "$DATA"/signalr/rest-paths.txt | while IFS= read -r l; do
        for m in '\000' '\002' '\003' '\004'; do
          { printf "$m"; printf '%s' "$l"; } > "$d/r$i"; i=$((i + 1))
        done
      done ;;
    fuzz_qxml)
      # the Queue service's replies (selector 0: messages, 1: error) and
      # the storage connection strings (2)
      local i=0
      for f in "$DATA"/storage/*.xml; do
        for b in '\000' '\001'; do
          { printf "$b"; cat "$f"; } > "$d/x$i"; i=$((i + 1))
        done
      done
      node -e 'for (const [i,c] of JSON.parse(require("fs").readFileSync(process.argv[1])).cases.entries()) require("fs").writeFileSync(process.argv[2]+"/s"+i, "\x02" + c.value)' \
        "$DATA/storage/connection-strings.json" "$d" ;;
    fuzz_cmdline)
      # command lines and queries as host.json and callers write them
      local i=0
      for e in ' --xTest1 --xTest2 "server.js" --port=%PORT%' 'a\\"b "c d" "" %A%B%' \
               'a=1&A=2&b=x y&c' '%%X%% 100% "unterminated' 'name=Zoë&d=&=+/?#%'; do
        printf '%s' "$e" > "$d/c$i"; i=$((i + 1))
      done ;;
    fuzz_app)
      # host.json NUL function.json NUL local.settings.json, from the app's
      # own folders and the vectors' sample app
      local i=0
      for f in */function.json "$DATA"/app/*/function.json; do
        [ -f "$f" ] || continue
        { cat host.json; printf '\000'; cat "$f"; printf '\000'; cat local.settings.json 2>/dev/null; } > "$d/a$i"
        i=$((i + 1))
      done ;;
  esac
}

for h in "$@"; do
  name=$(basename "$h")
  seed "$name"
  mkdir -p "$FZ/crashes/$name"
  echo "== $name (${SECS}s)"
  if ! "$h" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$FZ/crashes/$name/" -print_final_stats=1 \
        "$FZ/corpus/$name" 2> "$FZ/$name.log"; then
    echo "FAIL: $name found a crash (see $FZ/crashes/$name/, $FZ/$name.log)"
    tail -30 "$FZ/$name.log"
    status=1
  fi
  grep -aE 'stat::number_of_executed_units' "$FZ/$name.log" | sed "s/^/  /"
done
exit $status

# SPDX-License-Identifier: MIT
# Damaged input, made here from good fixtures: every case must give exit 4
# and exactly one line on stderr, "flowq: FILE: ... byte N ...", never a
# crash (make asan runs this suite under ASan+UBSan) or a silent short
# result.  JSON output must still be well-formed.

FIX="$TOP/$BUILD/tests/ftfixture"

# patch FILE OFFSET BYTE: overwrite one byte (decimal value).
patch() { printf "$(printf '\\%03o' "$3")" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null; }
# bad NAME FILE PATTERN: flowq --print on FILE fails as it should.
bad() {
    expect_err "$1" 4 "^flowq: $2: .*$3" "$FLOWQ" --print -o csv "$2"
}

"$FIX" -n 50 >"$TMP/good.ft"          # 24-byte header + 50 x 64 bytes
"$FIX" -n 50 -z 6 >"$TMP/good.ftz"
"$FIX" -n 50 -b big >"$TMP/goodbe.ft"
"$FIX" -L -n 50 >"$TMP/legacy.ft"     # 360-byte header + 50 x 60 bytes

# -- truncated at every header boundary (and inside every field) -------------
k=0
while [ $k -lt 24 ]; do
    head -c $k "$TMP/good.ft" >"$TMP/t$k.ft"
    bad "header cut at $k" "$TMP/t$k.ft" "(truncated header|empty input).* at byte $k"
    k=$((k + 1))
done
for k in 0 4 100 359; do
    head -c $k "$TMP/legacy.ft" >"$TMP/l$k.ft"
    bad "legacy header cut at $k" "$TMP/l$k.ft" "(truncated header|empty input).* at byte $k"
done

# -- truncated records ---------------------------------------------------------
head -c $((24 + 64 * 10 + 12)) "$TMP/good.ft" >"$TMP/mid.ft"
printf 'flowq: %s: truncated record at byte 664 (expected 64 bytes, found 12)\n' "$TMP/mid.ft" >"$TMP/mid.err"
expect "record cut, exact message" 4 '*' "$TMP/mid.err" "$FLOWQ" --print -o csv -q "$TMP/mid.ft"
"$FIX" -n 10 --csv | tail -n +2 >"$TMP/ten.csv"
if cmp -s "$TMP/out" "$TMP/ten.csv"; then pass; else fail "record cut: the 10 whole records before it"; fi
expect_err "record cut, stdin" 4 "^flowq: standard input: truncated record at byte 664" \
    sh -c "cat \"$TMP/mid.ft\" | \"$FLOWQ\" --print -o csv"
head -c $((24 + 64 * 10 + 1)) "$TMP/goodbe.ft" >"$TMP/midbe.ft"
bad "record cut after 1 byte, big-endian" "$TMP/midbe.ft" "truncated record at byte 664 \\(expected 64 bytes, found 1\\)"
head -c $((360 + 60 * 3 + 59)) "$TMP/legacy.ft" >"$TMP/midl.ft"
bad "legacy record cut" "$TMP/midl.ft" "truncated record at byte 540 \\(expected 60 bytes, found 59\\)"
"$FLOWQ" --print -o json "$TMP/mid.ft" >"$TMP/mid.json" 2>/dev/null
if command -v python3 >/dev/null 2>&1; then
    if python3 -c 'import json,sys; sys.exit(0 if len(json.load(open(sys.argv[1])))==10 else 1)' "$TMP/mid.json"; then
        pass
    else
        fail "json output after an input error is not well-formed"
    fi
fi

# -- compressed data: truncated, flipped bytes ------------------------------------
size=$(wc -c <"$TMP/good.ftz")
for k in 24 25 26 40 $((size / 2)) $((size - 5)) $((size - 1)); do
    head -c $k "$TMP/good.ftz" >"$TMP/z$k.ft"
    bad "zlib stream cut at $k of $size" "$TMP/z$k.ft" "truncated compressed data at byte $k"
done
for k in 24 25 27 30 $((size / 2)) $((size - 4)) $((size - 1)); do
    cp "$TMP/good.ftz" "$TMP/f$k.ft"
    old=$(od -An -tu1 -j $k -N 1 "$TMP/f$k.ft" | tr -d ' ')
    patch "$TMP/f$k.ft" $k $((old ^ 0x55))
    bad "zlib byte $k flipped" "$TMP/f$k.ft" "(corrupt compressed data|truncated).* at byte [0-9]+"
done
cp "$TMP/good.ftz" "$TMP/adler.ft"
patch "$TMP/adler.ft" $((size - 1)) 0
patch "$TMP/adler.ft" $((size - 2)) 0
bad "zlib checksum wrong" "$TMP/adler.ft" "corrupt compressed data at byte [0-9]+: incorrect data check"
# --threads 1 inflates on the reading thread itself, not on a thread of
# its own: the same records before the error and the same message.
for f in "$TMP"/z*.ft "$TMP"/f*.ft "$TMP/adler.ft"; do
    "$FLOWQ" --print -o csv "$f" >"$TMP/one.out" 2>"$TMP/one.err"
    expect "zlib $(basename "$f") --threads 1" $? "$TMP/one.out" "$TMP/one.err" \
        "$FLOWQ" --threads 1 --print -o csv "$f"
done

# -- bad preamble and header fields ----------------------------------------------
cp "$TMP/good.ft" "$TMP/magic.ft"; patch "$TMP/magic.ft" 0 0xCE
bad "bad magic" "$TMP/magic.ft" "not a flow-tools file \\(bad magic 0xce10\\) at byte 0"
gzip -c "$TMP/good.ft" >"$TMP/gz.ft"
bad "gzip file" "$TMP/gz.ft" "bad magic 0x1f8b, gzip data\\) at byte 0"
cp "$TMP/good.ft" "$TMP/order.ft"; patch "$TMP/order.ft" 2 3
bad "byte order 3" "$TMP/order.ft" "unknown byte order 3 at byte 2"
cp "$TMP/good.ft" "$TMP/sver.ft"; patch "$TMP/sver.ft" 3 2
bad "stream version 2" "$TMP/sver.ft" "unsupported stream version 2 at byte 3"
cp "$TMP/good.ft" "$TMP/huge.ft"; patch "$TMP/huge.ft" 7 0x7f
bad "header length 2 GB" "$TMP/huge.ft" "bad header length 2130706456 at byte 4 \\(more than"
cp "$TMP/good.ft" "$TMP/small.ft"; patch "$TMP/small.ft" 4 4
bad "header length 4" "$TMP/small.ft" "bad header length 4 at byte 4 \\(less than 8\\)"
cp "$TMP/good.ft" "$TMP/long.ft"; patch "$TMP/long.ft" 5 0x20
bad "header length past the end" "$TMP/long.ft" "truncated header at byte 3224 \\(header length 8216"
cp "$TMP/good.ft" "$TMP/dver.ft"; patch "$TMP/dver.ft" 12 8
bad "record version 8" "$TMP/dver.ft" "unsupported record version 8 at byte 12"
cp "$TMP/good.ft" "$TMP/nover.ft"; patch "$TMP/nover.ft" 8 0x0a
bad "no EX_VER" "$TMP/nover.ft" "header without a record version \\(EX_VER\\) at byte 0"
cp "$TMP/legacy.ft" "$TMP/ldver.ft"; patch "$TMP/ldver.ft" 4 7
bad "legacy header, record version 7" "$TMP/ldver.ft" "unsupported record version 7 in a version 1 header at byte 4"

# A header whose FLOW_COUNT lies (4294967295 flows) is only informational:
# the 50 records are read, nothing is allocated for the claim.
{
    printf '\317\020\001\003\040\000\000\000'          # preamble, length 32
    printf '\002\000\002\000\005\000'                  # EX_VER 5
    printf '\010\000\004\000\000\000\000\000'          # HEADER_FLAGS 0
    printf '\012\000\004\000\377\377\377\377'          # FLOW_COUNT 2^32-1
    printf '\000\000'                                  # padding
    tail -c +25 "$TMP/good.ft"
} >"$TMP/count.ft"
"$FIX" -n 50 --csv >"$TMP/good.csv"
expect "lying FLOW_COUNT is ignored" 0 "$TMP/good.csv" - "$FLOWQ" --print -o csv "$TMP/count.ft"

# -- garbage after a stream --------------------------------------------------------
{ cat "$TMP/good.ftz"; printf 'junk'; } >"$TMP/zjunk.ft"
bad "junk after a zlib stream" "$TMP/zjunk.ft" "bad magic 0x6a75\\) at byte $size"
{ cat "$TMP/good.ft"; printf 'junk'; } >"$TMP/junk.ft"
bad "junk after records" "$TMP/junk.ft" "truncated record at byte 3224 \\(expected 64 bytes, found 4\\)"
{ cat "$TMP/good.ft"; head -c 20 "$TMP/good.ft"; } >"$TMP/half.ft"
bad "second stream's header cut" "$TMP/half.ft" "truncated header at byte 3244"

# -- files that cannot be read -------------------------------------------------------
expect_err "no such file" 4 "^flowq: $TMP/nonexistent.ft: cannot open: No such file or directory$" \
    "$FLOWQ" --print "$TMP/nonexistent.ft"
expect_err "stdin is a directory" 4 "^flowq: standard input: read error at byte 0: Is a directory$" \
    sh -c "\"$FLOWQ\" --print <\"$TMP\""
expect_err "second operand missing: nothing printed" 4 "^flowq: $TMP/missing: cannot open" \
    "$FLOWQ" --print "$TMP/good.ft" "$TMP/missing"
if [ -s "$TMP/out" ]; then fail "output before an operand error"; else pass; fi
if [ "$(id -u)" != 0 ]; then
    cp "$TMP/good.ft" "$TMP/unreadable.ft"
    chmod 000 "$TMP/unreadable.ft"
    expect_err "unreadable file" 4 "^flowq: $TMP/unreadable.ft: cannot open: Permission denied$" \
        "$FLOWQ" --print "$TMP/unreadable.ft"
fi
mkdir -p "$TMP/d"
cp "$TMP/good.ft" "$TMP/d/a.ft"
cp "$TMP/mid.ft" "$TMP/d/b.ft"
bad "corrupt file in a directory is named" "$TMP/d/b.ft" "truncated record at byte 664"
expect_err "corrupt file in a directory, via the directory" 4 "^flowq: $TMP/d/b.ft: truncated record at byte 664" \
    "$FLOWQ" --print -o csv "$TMP/d"

# -- nfdump files (tests/data/nfdump: one data block at byte 40, then the
#    appendix block) ------------------------------------------------------------------
N="$TOP/tests/data/nfdump"
NF="$N/v5.nfcapd"                     # uncompressed: appendix at 37316
nsize=$(wc -c <"$NF")
for k in 2 3 4 16 24 39; do
    head -c $k "$NF" >"$TMP/nh$k.nf"
    bad "nfdump header cut at $k" "$TMP/nh$k.nf" "truncated nfdump file at byte $k \\(input ends $k bytes into the"
done
head -c 1 "$NF" >"$TMP/nh1.nf"
bad "nfdump header cut at 1" "$TMP/nh1.nf" "truncated header at byte 1"
for k in 40 45 51; do
    head -c $k "$NF" >"$TMP/nb$k.nf"
    bad "nfdump block header cut at $k" "$TMP/nb$k.nf" \
        "truncated nfdump file at byte $k \\(input ends $((k - 40)) bytes into the header of block 1 of 1\\)"
done
for k in 52 84 200 37315; do
    head -c $k "$NF" >"$TMP/nd$k.nf"
    bad "nfdump block cut at $k" "$TMP/nd$k.nf" \
        "truncated nfdump file at byte $k \\(block 1 of 1 at byte 40 has 37264 bytes, the input ends after $((k - 52))\\)"
done
head -c 37316 "$NF" >"$TMP/na.nf"
bad "nfdump file cut before its appendix" "$TMP/na.nf" \
    "truncated nfdump file at byte 37316 \\(input ends 0 bytes into the header of the appendix block"
head -c $((nsize - 1)) "$NF" >"$TMP/na2.nf"
bad "nfdump appendix cut" "$TMP/na2.nf" "truncated nfdump file at byte $((nsize - 1)) \\(the appendix block at byte 37316"
cp "$NF" "$TMP/nv.nf"; patch "$TMP/nv.nf" 2 3
bad "nfdump layout 3" "$TMP/nv.nf" "unsupported nfdump layout version 3 at byte 2 "
cp "$NF" "$TMP/nv1.nf"; patch "$TMP/nv1.nf" 2 1
bad "nfdump layout 2 file marked layout 1" "$TMP/nv1.nf" "bad nfdump block size 167772241 at byte 280"
# nfdump 1.6 (layout 1): header and statistics 276 bytes, block header at
# 276, two extension maps (24 and 20 bytes) from 288, the first record at 332.
"$TOP/$BUILD/tests/nf16fixture" -n 20 >"$TMP/l1.nf"
for k in 100 275; do
    head -c $k "$TMP/l1.nf" >"$TMP/l1-$k.nf"
    bad "nfdump 1.6 header cut at $k" "$TMP/l1-$k.nf" \
        "truncated nfdump file at byte $k \\(input ends $k bytes into the 276-byte header and statistics"
done
cp "$TMP/l1.nf" "$TMP/l1m.nf"; patch "$TMP/l1m.nf" 338 5
bad "nfdump 1.6 record without its map" "$TMP/l1m.nf" \
    "corrupt nfdump record at byte 338 \\(1.6 flow record with extension map 5, which no map before it defines\\)"
cp "$TMP/l1.nf" "$TMP/l1x.nf"; patch "$TMP/l1x.nf" 296 30
bad "nfdump 1.6 map with an unknown extension" "$TMP/l1x.nf" \
    "corrupt nfdump record at byte 338 \\(extension map 0 lists extension 30, which nfdump 1.6 does not define\\)"
cp "$TMP/l1.nf" "$TMP/l1s.nf"; patch "$TMP/l1s.nf" 334 50
bad "nfdump 1.6 record shorter than its extensions" "$TMP/l1s.nf" \
    "corrupt nfdump record at byte 334 \\(1.6 flow record of 50 bytes, its extension 4 ends at 52\\)"
cp "$NF" "$TMP/nc.nf"; patch "$TMP/nc.nf" 16 5
bad "nfdump compression 5" "$TMP/nc.nf" "unsupported nfdump compression 5 at byte 16"
cp "$NF" "$TMP/ne.nf"; patch "$TMP/ne.nf" 17 1
bad "nfdump encrypted" "$TMP/ne.nf" "encrypted nfdump file \\(encryption 1\\) at byte 17"
cp "$NF" "$TMP/nz.nf"; patch "$TMP/nz.nf" 44 0; patch "$TMP/nz.nf" 45 0
bad "nfdump block size 0" "$TMP/nz.nf" "bad nfdump block size 0 at byte 44"
cp "$NF" "$TMP/nbig.nf"; patch "$TMP/nbig.nf" 47 0x7f
bad "nfdump block size 2 GB" "$TMP/nbig.nf" "bad nfdump block size 2130743696 at byte 44"
cp "$NF" "$TMP/nr0.nf"; patch "$TMP/nr0.nf" 40 0; patch "$TMP/nr0.nf" 41 0
bad "nfdump block of no records" "$TMP/nr0.nf" "bad nfdump block at byte 40 \\(block 1 of 1 holds no records\\)"
cp "$NF" "$TMP/nt.nf"; patch "$TMP/nt.nf" 48 1
bad "nfdump block type 1" "$TMP/nt.nf" "unsupported nfdump block type 1 at byte 48"
cp "$NF" "$TMP/nrs.nf"; patch "$TMP/nrs.nf" 86 2; patch "$TMP/nrs.nf" 87 0
bad "nfdump record size 2" "$TMP/nrs.nf" "corrupt nfdump record at byte 86 \\(record size 2, "
cp "$NF" "$TMP/nrl.nf"; patch "$TMP/nrl.nf" 87 0xff
bad "nfdump record size past the block" "$TMP/nrl.nf" "corrupt nfdump record at byte 86 \\(record size 65404, 37232 bytes left in the block\\)"
cp "$NF" "$TMP/nel.nf"; patch "$TMP/nel.nf" 88 7
bad "nfdump record: more elements than fit" "$TMP/nel.nf" "corrupt nfdump record at byte 88 \\(7 elements announced, 6 fit"
cp "$NF" "$TMP/nes.nf"; patch "$TMP/nes.nf" 98 60
bad "nfdump element length lies" "$TMP/nes.nf" \
    "corrupt nfdump record at byte 158 \\(element 1 \\(type 46624\\) has length 10163, 52 bytes left in the record\\)"
cp "$NF" "$TMP/nes8.nf"; patch "$TMP/nes8.nf" 98 8
bad "nfdump element shorter than its fields" "$TMP/nes8.nf" \
    "corrupt nfdump record at byte 98 \\(element 0 \\(type 1\\) has length 8, less than its 52 bytes\\)"
cp "$NF" "$TMP/nrc.nf"; patch "$TMP/nrc.nf" 40 0x2f
bad "nfdump block claims more records" "$TMP/nrc.nf" "corrupt nfdump record at byte 37316 \\(the block's 37264 bytes end with 1 announced records to go\\)"
cp "$NF" "$TMP/noa.nf"; patch "$TMP/noa.nf" 24 100; patch "$TMP/noa.nf" 25 0
bad "nfdump appendix offset inside the data" "$TMP/noa.nf" "bad nfdump appendix offset 100 at byte 24"
{ cat "$NF"; printf 'junk'; } >"$TMP/nj.nf"
bad "junk after an nfdump file" "$TMP/nj.nf" "bad magic 0x6a75\\) at byte $nsize"
# nfcapd's open-time header (no block count) with blocks after it.
{ head -c 18 "$NF"; printf '\000\000'; head -c 24 "$NF" | tail -c 4; printf '\000\000\000\000\000\000\000\000'
  head -c 36 "$NF" | tail -c 4; printf '\000\000\000\000'; tail -c +41 "$NF"; } >"$TMP/ncur.nf"
bad "nfdump file still being written" "$TMP/ncur.nf" "unfinished nfdump file at byte 36"
head -c 18 "$NF" >"$TMP/nempty.nf"; head -c 40 /dev/zero | head -c 22 >>"$TMP/nempty.nf"
expect "nfdump file just opened: no records" 0 - - "$FLOWQ" --print -q -o csv "$TMP/nempty.nf"
# Compressed blocks whose data ends early (the block size one byte short).
for z in lzo bz2 lz4; do
    cp "$N/v5-$z.nfcapd" "$TMP/nz-$z.nf"
    lo=$(od -An -tu1 -j 44 -N 1 "$TMP/nz-$z.nf" | tr -d ' ')
    patch "$TMP/nz-$z.nf" 44 $((lo - 1))
    Z=$(echo $z | tr a-z A-Z)
    bad "nfdump $z data cut short" "$TMP/nz-$z.nf" "corrupt nfdump $Z data at byte 52 \\(block 1 of 1 at byte 40 does not expand"
done

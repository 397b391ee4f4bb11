#!/bin/bash
# usage: run.sh file.v top family [chparam args]
f=$1; top=$2; fam=$3; shift 3
id=${top}_${fam}$TAG
timeout 120 yosys -q -l log_$id.txt -p "read_verilog $f; chparam $* $top; synth_xilinx -noiopad -family $fam -top $top $EXTRA; tee -q -o stat_$id.txt stat; write_verilog -noattr net_$id.v" >/dev/null 2>&1
echo "== $top $fam $* $TAG"; grep -E '^\s+(Number of cells|[A-Z$][A-Za-z0-9_$]+\s+[0-9]+)' stat_$id.txt | tr -s ' ' | tr '\n' ';'; echo
python3 dspinfo.py net_$id.v

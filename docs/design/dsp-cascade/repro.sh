#!/bin/bash
# Re-runs the key measurements of REPORT.md (each step is seconds of CPU). Step 5 needs Xilinx's UNISIM
# DSP48E2.v and glbl.v in ref/ (Apache-2.0, github.com/hzeller/XilinxUnisimLibrary; not kept here).
set -e
cd "$(dirname "$0")"
Y() { timeout 120 yosys -q -p "$1; synth_xilinx -noiopad -family $2 -top $3 -flatten; tee -q -o /dev/stdout stat" 2>/dev/null \
      | grep -E '^\s+(Number of cells|[A-Z][A-Za-z0-9_]+\s+[0-9]+)' | tr -s ' ' | tr '\n' ';'; echo; }
echo "--- 1. behavioural column, xcup vs xc7 (R=8)"
for f in xcup xc7; do echo -n "col_v1 $f: "; Y "read_verilog exp/col_v1.v; chparam -set R 8 col_v1" $f col_v1; done
echo "--- 2. behavioural double buffer (R=4)"
for f in xcup xc7; do echo -n "col_ws_copy $f: "; Y "read_verilog exp/col_ws_copy.v" $f col_ws_copy; done
for f in xcup xc7; do echo -n "col_ws_mux $f: "; Y "read_verilog exp/col_ws_mux.v" $f col_ws_mux; done
echo "--- 3. instantiated DSP48E2 column / array, xcup"
echo -n "ws_col_dsp R=32: "; Y "read_verilog inst/ws_col_dsp.v; chparam -set R 32 ws_col_dsp" xcup ws_col_dsp
echo -n "ws_array_dsp 8x8 ACC=32: "; Y "read_verilog inst/ws_array_dsp.v; chparam -set R 8 -set C 8 ws_array_dsp" xcup ws_array_dsp
echo -n "vf_systolic (today) 8x8 ACC=32: "; Y "read_verilog ../../../hw/vf_systolic.v ../../../hw/vf_pe_ws.v ../../../hw/vf_pe_ws_pair.v; chparam -set R 8 -set C 8 -set ACC_BITS 32 vf_systolic" xcup vf_systolic
echo -n "ws_col_pack R=28 NSEG=7 ACC=24 FIXMODE=1: "; Y "read_verilog inst/ws_col_pack.v; chparam -set R 28 -set NSEG 7 -set ACC 24 -set FIXMODE 1 ws_col_pack" xcup ws_col_pack
echo "--- 4. simulations (subset model; swap in ref/DSP48E2.v ref/glbl.v for the UNISIM model)"
# The subset model is the project's simulation model (hw/sim/dsp48e2_model.v, under its define).
M="-DVITFPGA_DSP48E2_MODEL ../../../hw/sim/dsp48e2_model.v"
iverilog -g2012 $M -Ptb.R=8 -o /tmp/_c.vvp inst/tb_ws_col.v inst/ws_col_dsp.v exp/col_ws_copy.v 2>/dev/null && vvp -n /tmp/_c.vvp | grep checked
iverilog -g2012 $M -Ptb.R=4 -Ptb.C=4 -o /tmp/_a.vvp inst/tb_arr.v inst/ws_array_dsp.v ../../../hw/vf_systolic.v ../../../hw/vf_pe_ws.v ../../../hw/vf_pe_ws_pair.v 2>/dev/null && vvp -n /tmp/_a.vvp | grep compared
iverilog -g2012 $M -Ptb.R=16 -Ptb.NSEG=7 -Ptb.N=9000 -Ptb.FIXMODE=1 -o /tmp/_p.vvp inst/tb_pack.v inst/ws_col_pack.v exp/col_ws_copy.v 2>/dev/null && vvp -n /tmp/_p.vvp | grep checked
echo "--- 5. subset model vs UNISIM DSP48E2 (about 13 s)"
[ -f ref/DSP48E2.v ] && sed "s/module DSP48E2/module DSP48E2_SUB/" ../../../hw/sim/dsp48e2_model.v > /tmp/_sub.v && iverilog -g2012 -DVITFPGA_DSP48E2_MODEL -o /tmp/_d.vvp model/tb_diff.v /tmp/_sub.v ref/DSP48E2.v ref/glbl.v 2>/dev/null && vvp -n /tmp/_d.vvp | grep config
echo "--- 6. packing arithmetic"
python3 pack_arith.py

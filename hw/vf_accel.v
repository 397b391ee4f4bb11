// vitfpga accelerator top: controller, on-chip buffers and the unit library composed into one core
// that runs a compiled program (docs/architecture.md). Every timing rule below is mirrored by the
// cycle model in crates/vitfpga-sim/src/timing.rs; the two must agree cycle for cycle.
//
//   fetch    reads the program (header, then the load, exec and store queues) over AXI4
//   load     requests DRAM beats: buffer words into the scratchpad, the constant stream into a FIFO
//   exec     GEMM tiles on the systolic array with the requantise/table/residual epilogue,
//            softmax and LayerNorm rows on parallel row units, the embedding
//   store    writes scratchpad / score-buffer words back to DRAM
//
// Memory model assumed for cycle equality (the Verilator testbench implements it): AXI4 ready
// signals always high, read data for a request accepted in cycle t valid in cycle t+L-1, a write
// response for a beat accepted in cycle t valid in cycle t+L-1. Any other slave still works
// correctly (requests wait for ready), only the cycle counts differ.
`default_nettype none
module vf_accel #(
    parameter integer R          = 4,      // array rows (K of a tile), LayerNorm lanes
    parameter integer C          = 4,      // array columns (N of a tile), softmax lanes
    parameter integer V          = 4,      // scratchpad lanes: lcm(R, C)
    parameter integer A_BITS     = 8,
    parameter integer W_BITS     = 8,
    parameter integer ACC_BITS   = 20,
    parameter integer PACK       = 0,
    parameter integer CASCADE    = 0,      // partial sums in DSP48E2 cascades (vf_systolic_cascade)
    parameter integer SPAD_WORDS = 256,
    parameter integer SBUF_WORDS = 64,
    parameter integer ACC_DEPTH  = 64,     // rows of the accumulator buffer (largest M)
    parameter integer BUS        = 16,     // bytes per AXI beat
    parameter integer BPW        = 1,      // beats per constant-stream word
    parameter integer FIFO_WORDS = 8,
    parameter integer SPAD_BEATS = 1,      // DRAM beats per scratchpad word
    parameter integer SBUF_BEATS = 1,      // DRAM beats per score-buffer word
    parameter integer IMEM_L     = 2,
    parameter integer IMEM_E     = 64,
    parameter integer IMEM_S     = 4,
    parameter integer SM_UNITS   = 1,
    parameter integer SM_Z       = 32,
    parameter integer SM_OUT     = 8,
    parameter integer SM_MAX     = 64,
    parameter integer LN_UNITS   = 1,
    parameter integer LN_L       = 4,      // LayerNorm lanes (divides V)
    parameter integer LN_OUT     = 8,
    parameter integer LN_MAX     = 64
) (
    input  wire             clk,
    input  wire             rst,
    // AXI4-Lite control/status (vf_axil_regs)
    input  wire [7:0]       s_awaddr,
    input  wire             s_awvalid,
    output wire             s_awready,
    input  wire [31:0]      s_wdata,
    input  wire [3:0]       s_wstrb,
    input  wire             s_wvalid,
    output wire             s_wready,
    output wire [1:0]       s_bresp,
    output wire             s_bvalid,
    input  wire             s_bready,
    input  wire [7:0]       s_araddr,
    input  wire             s_arvalid,
    output wire             s_arready,
    output wire [31:0]      s_rdata,
    output wire [1:0]       s_rresp,
    output wire             s_rvalid,
    input  wire             s_rready,
    // AXI4 master to DRAM: single-beat transactions, one per cycle
    output wire [63:0]      m_araddr,
    output wire [7:0]       m_arlen,
    output wire [2:0]       m_arsize,
    output wire [1:0]       m_arburst,
    output wire             m_arvalid,
    input  wire             m_arready,
    input  wire [BUS*8-1:0] m_rdata,
    input  wire [1:0]       m_rresp,
    input  wire             m_rlast,
    input  wire             m_rvalid,
    output wire             m_rready,
    output wire [63:0]      m_awaddr,
    output wire [7:0]       m_awlen,
    output wire [2:0]       m_awsize,
    output wire [1:0]       m_awburst,
    output wire             m_awvalid,
    input  wire             m_awready,
    output wire [BUS*8-1:0] m_wdata,
    output wire [BUS-1:0]   m_wstrb,
    output wire             m_wlast,
    output wire             m_wvalid,
    input  wire             m_wready,
    input  wire [1:0]       m_bresp,
    input  wire             m_bvalid,
    output wire             m_bready,
    output wire             irq
);
// @ISA@
    localparam integer IW     = 2048;               // instruction bits in DRAM (IW_LS, IW_X kept on chip)
    localparam integer BPI    = 256 / BUS;          // beats per instruction
    localparam integer SWB    = BPW * BUS;          // constant-stream word bytes
    localparam integer G      = (PACK != 0) ? (C + 1) / 2 : C;
    // Systolic array latency (+2 in DSP cascades: the DSP48E2's A and M registers).
    localparam integer ALAT   = R + G - 1 + ((CASCADE != 0) ? 2 : 0);
    localparam integer REUSE  = ALAT;               // bank reuse delay (fabric array)
    localparam integer SWAP   = 1;                  // DSP cascades: first vector read -> next tile's first shift
    localparam integer EPI_RQ = 7;                  // accumulate 1 + requantise 3 + table 1 + residual 2
    localparam integer SBW    = C * 32;             // score-buffer word bits
    localparam integer SPW    = V * 8;              // scratchpad word bits
    localparam integer PPW    = SWB / 8;            // 64-bit values per stream word
    // Narrow indices. A scratchpad word holds V/R k-slices of R lanes, V/C n-slices of C lanes
    // and V/LN_L LayerNorm beats; which slice a tile uses (its rotation) is a counter of a few
    // bits kept beside the tile index, so every lane placement is a (V/R):1 or (V/C):1 multiplexer
    // of whole slices, never a shifter by a 32-bit byte offset (docs/hardware.md, "Controller").
    localparam integer KROT   = V / R;
    localparam integer NROT   = V / C;
    localparam integer RB     = (R > 1) ? $clog2(R) : 1;        // array row index
    localparam integer RCB    = $clog2(R + 1);                  // counts 0..R
    localparam integer CCB    = $clog2(C + 1);                  // counts 0..C
    localparam integer KRB    = (KROT > 1) ? $clog2(KROT) : 1;
    localparam integer NRB    = (NROT > 1) ? $clog2(NROT) : 1;
    localparam integer LROT   = V / LN_L;
    localparam integer LRB    = (LROT > 1) ? $clog2(LROT) : 1;
    localparam integer EPW    = (V + PPW - 1) / PPW;            // embedding pops per scratchpad word
    localparam integer PIB    = $clog2(4 * C);                  // requantiser parameter slots
    localparam [RCB-1:0] R_CNT = R;
    localparam [CCB-1:0] C_CNT = C;
    localparam [RB-1:0]  R_LAST = R - 1;

    function [31:0] fld(input [IW_X-1:0] w, input integer k);
        fld = w[32*k +: 32];
    endfunction
    function signed [63:0] clampb(input signed [63:0] v, input [31:0] bits);
        reg signed [63:0] hi, lo;
        begin
            hi = (64'sd1 <<< (bits - 1)) - 64'sd1;
            lo = -(64'sd1 <<< (bits - 1));
            clampb = (v > hi) ? hi : ((v < lo) ? lo : v);
        end
    endfunction
    // clampb for a 16-bit lane: the same result for bits >= 1 at 17 bits instead of 64.
    function [15:0] clamp16(input signed [15:0] v, input [31:0] bits);
        reg signed [16:0] hi, lo, x;
        begin
            x = {v[15], v};
            hi = (17'sd1 <<< (bits[3:0] - 4'd1)) - 17'sd1;
            lo = -(17'sd1 <<< (bits[3:0] - 4'd1));
            if (bits >= 32'd16) clamp16 = v;
            else clamp16 = (x > hi) ? hi[15:0] : ((x < lo) ? lo[15:0] : v);
        end
    endfunction

    // ------------------------------------------------------------------ control registers
    wire        start_pulse;
    wire [31:0] pbase_lo, pbase_hi;
    reg         running = 1'b0;
    reg  [47:0] now = 48'd0;
    wire        all_done;
    wire        core_busy = running & ~all_done;
    wire        core_done = running & all_done;
    assign irq = core_done;

    vf_axil_regs u_regs (
        .clk(clk), .rst(rst),
        .s_awaddr(s_awaddr), .s_awvalid(s_awvalid), .s_awready(s_awready),
        .s_wdata(s_wdata), .s_wstrb(s_wstrb), .s_wvalid(s_wvalid), .s_wready(s_wready),
        .s_bresp(s_bresp), .s_bvalid(s_bvalid), .s_bready(s_bready),
        .s_araddr(s_araddr), .s_arvalid(s_arvalid), .s_arready(s_arready),
        .s_rdata(s_rdata), .s_rresp(s_rresp), .s_rvalid(s_rvalid), .s_rready(s_rready),
        .core_busy(core_busy), .core_done(core_done), .start(start_pulse),
        .program_base_lo(pbase_lo), .program_base_hi(pbase_hi)
    );
    wire [63:0] pbase = {pbase_hi, pbase_lo};

    always @(posedge clk) begin
        if (rst) begin
            running <= 1'b0;
        end else if (start_pulse) begin
            running <= 1'b1;
            now <= 48'd0;
        end else if (running) begin
            now <= now + 48'd1;
            if (all_done) running <= 1'b0;
        end
    end

    // ------------------------------------------------------------------ memories
    // Scratchpad and score buffer: banked for the program (vf_spad, vf_sbuf, generated), so that
    // every port has its own block RAM copy; their ports are wired below.
    reg [C*ACC_BITS-1:0]    accm [0:ACC_DEPTH-1];
    reg [SWB*8-1:0]         fifo [0:FIFO_WORDS-1];
    reg [IW_LS-1:0]         lmem [0:IMEM_L-1];
    reg [IW_X-1:0]          emem [0:IMEM_E-1];
    reg [IW_LS-1:0]         smem [0:IMEM_S-1];

    // Scratchpad write port 0 (loads, GEMM results, embedding; one per cycle, lane enables).
    reg           sp_we;
    reg  [31:0]   sp_waddr;
    reg  [SPW-1:0] sp_wdata;
    reg  [V-1:0]  sp_wen;
    // Write port 1: row-engine outputs, which land while GEMMs write through port 0.
    wire           ro_we;
    wire [31:0]    ro_waddr;
    wire [SPW-1:0] ro_wdata;
    wire [V-1:0]   ro_wen;
    // Read ports: 0 issuer / embedding, 1 filler, 2 residual, 3 store, 4 LayerNorm rows (the row
    // engine's own port: a LayerNorm runs beside the GEMMs).
    reg            p1_re, fr_re, lr_re;
    reg  [31:0]    p1_addr, fr_addr, lr_addr;
    wire           res_re, st_read;
    wire [31:0]    res_addr, st_raddr;
    wire [SPW-1:0] p1_q, fr_q, res_q, st_spad_q, lr_q;
    vf_spad u_spad (
        .clk(clk),
        .w0_we(sp_we), .w0_addr(sp_waddr), .w0_data(sp_wdata), .w0_en(sp_wen),
        .w1_we(ro_we), .w1_addr(ro_waddr), .w1_data(ro_wdata), .w1_en(ro_wen),
        .r0_re(p1_re), .r0_addr(p1_addr), .r0_q(p1_q),
        .r1_re(fr_re), .r1_addr(fr_addr), .r1_q(fr_q),
        .r2_re(res_re), .r2_addr(res_addr), .r2_q(res_q),
        .r3_re(st_read), .r3_addr(st_raddr), .r3_q(st_spad_q),
        .r4_re(lr_re), .r4_addr(lr_addr), .r4_q(lr_q)
    );
    // Score buffer: write port 0 raw scores (epilogue stage 1), 1 wide results (stage 7); read
    // port 0 the softmax row reader, 1 the store engine.
    wire           sbs_we, sbw_we;
    wire [31:0]    sbs_addr, sbw_addr;
    wire [SBW-1:0] sbs_data, sbw_data;
    reg            sb_re;
    reg  [31:0]    sb_addr;
    wire [SBW-1:0] sb_q, st_sbuf_q;
    vf_sbuf u_sbuf (
        .clk(clk),
        .w0_we(sbs_we), .w0_addr(sbs_addr), .w0_data(sbs_data), .w0_en({C{1'b1}}),
        .w1_we(sbw_we), .w1_addr(sbw_addr), .w1_data(sbw_data), .w1_en({C{1'b1}}),
        .r0_re(sb_re), .r0_addr(sb_addr), .r0_q(sb_q),
        .r1_re(st_read), .r1_addr(st_raddr), .r1_q(st_sbuf_q)
    );
`ifndef SYNTHESIS
    // The compiler keeps the two writers on different words (tensors own whole words); a
    // collision would lose the first port's lanes.
    always @(posedge clk) if (sp_we && ro_we && sp_waddr == ro_waddr) begin
        $display("vf_accel: both scratchpad write ports hit word %0d", sp_waddr);
        $finish;
    end
`endif

    // ------------------------------------------------------------------ fetch
    reg        fetched = 1'b0;
    reg [1:0]  fstate = 2'd0;      // 0 header request, 1 header wait, 2 body requests, 3 body wait
    reg [15:0] n_load = 16'd0, n_store = 16'd0;
    reg [31:0] n_exec = 32'd0;
    reg [31:0] f_total = 32'd0, f_issued = 32'd0, f_returned = 32'd0;
    reg [IW-1:0] ibuf = {IW{1'b0}};
    wire       f_ar = running & ~fetched & (fstate == 2'd0 || fstate == 2'd2);
    wire [63:0] f_addr = pbase + {32'd0, f_issued} * BUS;
    wire [IW-1:0] ibuf_next = {m_rdata, ibuf[IW-1:BUS*8]};
    wire [31:0] f_instr = f_returned / BPI;

    // ------------------------------------------------------------------ load engine
    reg [15:0] li = 16'd0, lr = 16'd0;
    reg [31:0] l_issued = 32'd0, lr_beats = 32'd0;
    reg [31:0] load_done = 32'd0;
    reg [31:0] s_issued = 32'd0, s_arrived = 32'd0, s_popped = 32'd0;  // stream beats / words
    // Instruction memories are read synchronously (block RAM) at the index each queue will hold
    // next cycle, so the current instruction is always registered; the engines start one cycle
    // after the fetch completes so that the last instruction written is readable.
    reg [IW_LS-1:0] lcur = {IW_LS{1'b0}}, lrcur = {IW_LS{1'b0}};
    wire        l_stream = fld(lcur, F_OPCODE) == OP_LOAD_STREAM;
    wire [31:0] l_beats = fld(lcur, F_BEATS);
    wire        l_credit = (s_issued - s_popped * BPW) < FIFO_WORDS * BPW;
    reg         engines = 1'b0;
    wire        l_ar = running & engines & (li < n_load) & (~l_stream | l_credit);
    // Every DRAM address of the program is an offset into the DRAM image, whose base (where the
    // host put dram.bin; the program is its first region) is the PROGRAM_BASE register.
    wire [63:0] l_addr = pbase + {fld(lcur, F_DRAM_HI), fld(lcur, F_DRAM_LO)} + {32'd0, l_issued} * BUS;
    reg [SPAD_BEATS*BUS*8-1:0] lr_buf = 0;
    wire [SPAD_BEATS*BUS*8-1:0] lr_next;    // the word with this beat shifted in at the top
    generate
        if (SPAD_BEATS == 1) begin : g_lr_one
            assign lr_next = m_rdata;
        end else begin : g_lr_many
            assign lr_next = {m_rdata, lr_buf[SPAD_BEATS*BUS*8-1:BUS*8]};
        end
    endgenerate
    wire        fifo_avail = s_arrived >= (s_popped + 1) * BPW;
    wire [SWB*8-1:0] fifo_head = fifo[s_popped % FIFO_WORDS];
    reg         fifo_pop;       // driven by the exec engine

    assign m_arvalid = f_ar | l_ar;
    assign m_araddr  = f_ar ? f_addr : l_addr;
    assign m_arlen   = 8'd0;
    assign m_arsize  = $clog2(BUS);
    assign m_arburst = 2'd1;
    assign m_rready  = 1'b1;

    always @(posedge clk) begin
        if (rst || start_pulse) begin
            fetched <= 1'b0; engines <= 1'b0; fstate <= 2'd0; f_issued <= 32'd0; f_returned <= 32'd0;
            li <= 16'd0; lr <= 16'd0; l_issued <= 32'd0; lr_beats <= 32'd0; load_done <= 32'd0;
            s_issued <= 32'd0; s_arrived <= 32'd0; s_popped <= 32'd0;
        end else if (running) begin
            engines <= fetched;
            if (fifo_pop) s_popped <= s_popped + 32'd1;
            // Requests.
            if (f_ar && m_arready) begin
                f_issued <= f_issued + 32'd1;
                if (fstate == 2'd0) fstate <= 2'd1;
                else if (f_issued + 32'd1 == f_total) fstate <= 2'd3;
            end
            if (l_ar && !f_ar && m_arready) begin
                if (l_stream) s_issued <= s_issued + 32'd1;
                if (l_issued + 32'd1 == l_beats) begin
                    li <= li + 16'd1;
                    l_issued <= 32'd0;
                end else begin
                    l_issued <= l_issued + 32'd1;
                end
            end
            // Returns: the program first, then the load queue in order.
            if (m_rvalid && !fetched) begin
                ibuf <= ibuf_next;
                f_returned <= f_returned + 32'd1;
                if (fstate == 2'd1) begin
                    n_load  <= m_rdata[15:0];
                    n_store <= m_rdata[31:16];
                    n_exec  <= m_rdata[63:32];
                    f_total <= (32'd1 + m_rdata[15:0] + m_rdata[31:16] + m_rdata[63:32]) * BPI;
                    fstate  <= 2'd2;
                end
                if (f_returned % BPI == BPI - 1) begin
                    if (f_instr >= 1 && f_instr < 1 + n_load)
                        lmem[f_instr - 1] <= ibuf_next[IW_LS-1:0];
                    else if (f_instr >= 1 + n_load && f_instr < 1 + n_load + n_exec)
                        emem[f_instr - 1 - n_load] <= ibuf_next[IW_X-1:0];
                    else if (f_instr >= 1 + n_load + n_exec)
                        smem[f_instr - 1 - n_load - n_exec] <= ibuf_next[IW_LS-1:0];
                end
                if (fstate == 2'd3 && f_returned + 32'd1 == f_total) fetched <= 1'b1;
            end else if (m_rvalid) begin
                if (fld(lrcur, F_OPCODE) == OP_LOAD_STREAM) begin
                    fifo[(s_arrived / BPW) % FIFO_WORDS][(s_arrived % BPW)*BUS*8 +: BUS*8] <= m_rdata;
                    s_arrived <= s_arrived + 32'd1;
                end else begin
                    lr_buf <= lr_next;
                end
                if (lr_beats + 32'd1 == fld(lrcur, F_BEATS)) begin
                    lr <= lr + 16'd1;
                    lr_beats <= 32'd0;
                    load_done <= load_done + 32'd1;
                end else begin
                    lr_beats <= lr_beats + 32'd1;
                end
            end
        end
    end
    // Scratchpad word completed by the load engine this cycle.
    wire        ld_sp_we = running & fetched & m_rvalid & (fld(lrcur, F_OPCODE) == OP_LOAD_SPAD)
                           & (lr_beats % SPAD_BEATS == SPAD_BEATS - 1);
    wire [31:0] ld_sp_addr = fld(lrcur, F_WORD) + lr_beats / SPAD_BEATS;

    // ------------------------------------------------------------------ store engine
    reg [31:0] exec_done = 32'd0;           // exec instructions completed (the exec engine's)
    reg [31:0] rows_done = 32'd0;           // row-engine instructions completed (softmax, LayerNorm)
    reg [15:0] si = 16'd0;
    reg        sbusy = 1'b0;
    reg [31:0] s_beat = 32'd0;
    reg [31:0] store_done = 32'd0;
    reg [31:0] b_count = 32'd0;
    reg [31:0] s_cum = 32'd0;               // beats issued by stores so far
    reg [31:0] s_target [0:IMEM_S-1];       // cumulative beats at which store k completes
    reg [31:0] st_word = 32'd0;
    reg  [IW_LS-1:0] scur = {IW_LS{1'b0}};
    wire        st_sbuf = fld(scur, F_SRC_SBUF) != 32'd0;
    wire [31:0] st_beats = fld(scur, F_BEATS);
    wire        st_start = running & engines & ~sbusy & (si < n_store) & (exec_done >= fld(scur, F_WAIT_EXEC))
                         & (rows_done >= fld(scur, F_WAIT_ROWS));
    wire [31:0] st_sb = st_sbuf ? SBUF_BEATS : SPAD_BEATS;
    // Read the next word in the start cycle and in the cycle of each word's last beat.
    assign      st_read = st_start | (sbusy & (s_beat % st_sb == st_sb - 1) & (s_beat + 32'd1 < st_beats));
    assign      st_raddr = fld(scur, F_WORD) + (st_start ? 32'd0 : (s_beat + 32'd1) / st_sb);
    wire [SBUF_BEATS*BUS*8-1:0] st_sbuf_wide = st_sbuf_q;
    wire [SPAD_BEATS*BUS*8-1:0] st_spad_wide = st_spad_q;
    assign m_awvalid = sbusy;
    assign m_wvalid  = sbusy;
    assign m_awaddr  = pbase + {fld(scur, F_DRAM_HI), fld(scur, F_DRAM_LO)} + {32'd0, s_beat} * BUS;
    assign m_awlen   = 8'd0;
    assign m_awsize  = $clog2(BUS);
    assign m_awburst = 2'd1;
    assign m_wdata   = st_sbuf ? st_sbuf_wide[(s_beat % SBUF_BEATS)*BUS*8 +: BUS*8]
                               : st_spad_wide[(s_beat % SPAD_BEATS)*BUS*8 +: BUS*8];
    assign m_wstrb   = {BUS{1'b1}};
    assign m_wlast   = 1'b1;
    assign m_bready  = 1'b1;

    always @(posedge clk) begin
        if (rst || start_pulse) begin
            si <= 16'd0; sbusy <= 1'b0; s_beat <= 32'd0; store_done <= 32'd0; b_count <= 32'd0;
            s_cum <= 32'd0;
        end else if (running) begin
            if (st_start) begin
                sbusy <= 1'b1;
                s_beat <= 32'd0;
                s_target[si] <= s_cum + st_beats;
                s_cum <= s_cum + st_beats;
            end else if (sbusy && m_awready && m_wready) begin
                if (s_beat + 32'd1 == st_beats) begin
                    sbusy <= 1'b0;
                    si <= si + 16'd1;
                end else begin
                    s_beat <= s_beat + 32'd1;
                end
            end
            if (m_bvalid) begin
                b_count <= b_count + 32'd1;
                if (b_count + 32'd1 == s_target[store_done[15:0]]) store_done <= store_done + 32'd1;
            end
        end
    end

    // ------------------------------------------------------------------ exec engine
    // Softmax and LayerNorm run on the row engine. The exec engine hands a row instruction over
    // (X_ROW) and retires it so that GEMMs overlap it: a softmax at once, a LayerNorm once its
    // gamma/beta have come through the stream FIFO (which the GEMMs pop next). LayerNorm rows come
    // through scratchpad read port 4, which nothing else uses.
    localparam [2:0] X_IDLE = 3'd0, X_GEMM = 3'd1, X_ROW = 3'd2, X_EMBED = 3'd4;
    localparam [1:0] R_IDLE = 2'd0, R_SOFTMAX = 2'd1, R_LN = 2'd2;
    reg [2:0]    xstate = X_IDLE;
    reg [1:0]    rstate = R_IDLE;
    reg [31:0]   ei = 32'd0;
    reg [IW_X-1:0] xi = {IW_X{1'b0}};
    reg [IW_X-1:0] ri = {IW_X{1'b0}};
    reg  [IW_X-1:0] ecur = {IW_X{1'b0}};
    wire e_row_op = (fld(ecur, F_OPCODE) == OP_SOFTMAX) | (fld(ecur, F_OPCODE) == OP_LAYERNORM);
    wire x_start = running & engines & (xstate == X_IDLE) & (ei < n_exec)
                 & (load_done >= fld(ecur, F_WAIT_LOAD)) & (store_done >= fld(ecur, F_WAIT_STORE))
                 & (rows_done >= fld(ecur, F_WAIT_ROWS)) & (~e_row_op | (rstate == R_IDLE));
    reg  x_finish;   // the instruction's last write happens this cycle
    reg  r_finish;   // the row instruction's last write happens this cycle

    // Next-cycle queue indices, and the synchronous instruction reads.
    wire        restart = rst | start_pulse;
    wire [15:0] li_n = restart ? 16'd0 : li + {15'd0, l_ar & ~f_ar & m_arready & (l_issued + 32'd1 == l_beats)};
    wire [15:0] lr_n = restart ? 16'd0 : lr + {15'd0, m_rvalid & fetched & (lr_beats + 32'd1 == fld(lrcur, F_BEATS))};
    wire [15:0] si_n = restart ? 16'd0 : si + {15'd0, sbusy & m_awready & m_wready & (s_beat + 32'd1 == st_beats)};
    wire [31:0] ei_n = restart ? 32'd0 : ei + {31'd0, x_finish};
    always @(posedge clk) begin
        lcur  <= lmem[li_n];
        lrcur <= lmem[lr_n];
        scur  <= smem[si_n];
        ecur  <= emem[ei_n];
    end

    assign all_done = fetched & (load_done == {16'd0, n_load}) & (exec_done == n_exec) & (rstate == R_IDLE)
                    & (store_done == {16'd0, n_store});

    // Decoded fields of the current instruction.
    wire [31:0] g_m        = fld(xi, F_G_M);
    wire [31:0] g_a_word   = fld(xi, F_G_A_WORD);
    wire [31:0] g_a_row    = fld(xi, F_G_A_ROW_WORDS);
    wire [31:0] g_a_seglen = fld(xi, F_G_A_SEG_LEN);
    wire [31:0] g_a_segw   = fld(xi, F_G_A_SEG_WORDS);
    wire [31:0] g_ktps     = fld(xi, F_G_KT_PER_SEG);
    wire [31:0] g_kt_n     = fld(xi, F_G_KT);
    wire [31:0] g_ntps     = fld(xi, F_G_NT_PER_SEG);
    wire [31:0] g_nt_n     = fld(xi, F_G_NT);
    wire [31:0] g_nseglen  = fld(xi, F_G_N_SEG_LEN);
    wire [31:0] g_bkind    = fld(xi, F_G_B_KIND);
    wire [31:0] g_wbits    = fld(xi, F_G_W_BITS);
    wire [31:0] g_b_word   = fld(xi, F_G_B_WORD);
    wire [31:0] g_b_row    = fld(xi, F_G_B_ROW_WORDS);
    wire [31:0] g_b_seglen = fld(xi, F_G_B_SEG_LEN);
    wire [31:0] g_b_valid  = fld(xi, F_G_B_VALID);
    wire [31:0] g_rpw      = fld(xi, F_G_ROWS_PER_WORD);
    wire [31:0] g_tilew    = fld(xi, F_G_TILE_WORDS);
    wire [31:0] g_rowbytes = fld(xi, F_G_ROW_BYTES);
    wire [31:0] g_epi      = fld(xi, F_G_EPI);
    wire [31:0] g_outbits  = fld(xi, F_G_OUT_BITS);
    wire [31:0] g_pwords   = fld(xi, F_G_PARAM_WORDS);
    wire [31:0] g_tentries = fld(xi, F_G_TABLE_ENTRIES);
    wire [31:0] g_const_m  = fld(xi, F_G_CONST_M);
    wire [31:0] g_const_sh = fld(xi, F_G_CONST_SHIFT);
    wire [31:0] g_res_ma   = fld(xi, F_G_RES_MA);
    wire [31:0] g_res_mb   = fld(xi, F_G_RES_MB);
    wire [31:0] g_res_sh   = fld(xi, F_G_RES_SHIFT);
    wire [31:0] s_mult     = fld(ri, F_S_M);
    wire [31:0] s_shift    = fld(ri, F_S_SHIFT);
    wire [31:0] l_shift    = fld(ri, F_L_SHIFT);
    wire        epi_rq     = g_epi[0];
    wire        epi_sparam = g_epi[1];
    wire        epi_table  = g_epi[2];
    wire        epi_res    = g_epi[3];
    wire        epi_swap   = g_epi[4];
    wire        epi_wide   = g_epi[5];
    wire [31:0] g_tiles    = g_nt_n * g_kt_n;

    // ---- GEMM: systolic array
    wire [R*A_BITS-1:0]   a_in;
    reg                   a_valid;
    reg                   a_bank;
    reg                   a_first = 1'b0;
    reg                   w_shift;
    reg                   w_bank;
    reg  [C*W_BITS-1:0]   w_in;
    wire [C*ACC_BITS-1:0] y_out;
    wire                  y_valid;
    generate
        if (CASCADE != 0) begin : g_cascade
            // Shadow/active weights: a_first swaps the next tile in as its first vector passes.
            vf_systolic_cascade #(.R(R), .C(C), .A_BITS(A_BITS), .W_BITS(W_BITS), .ACC_BITS(ACC_BITS), .PACK(PACK)) u_array (
                .clk(clk), .a_in(a_in), .a_valid(a_valid), .a_first(a_first), .w_shift(w_shift),
                .w_in(w_in), .y_out(y_out), .y_valid(y_valid)
            );
            /* verilator lint_off UNUSED */
            wire unused_banks = a_bank ^ w_bank;
            /* verilator lint_on UNUSED */
        end else begin : g_fabric
            vf_systolic #(.R(R), .C(C), .A_BITS(A_BITS), .W_BITS(W_BITS), .ACC_BITS(ACC_BITS), .PACK(PACK)) u_array (
                .clk(clk), .a_in(a_in), .a_valid(a_valid), .a_bank(a_bank), .w_shift(w_shift), .w_bank(w_bank),
                .w_in(w_in), .y_out(y_out), .y_valid(y_valid)
            );
            /* verilator lint_off UNUSED */
            wire unused_first = a_first;
            /* verilator lint_on UNUSED */
        end
    endgenerate

    // Bank bookkeeping.
    reg        filled [0:1];
    reg        released [0:1];
    reg [47:0] bank_ie [0:1];

    // ---- GEMM: table load (GELU) through the LUT write port, one entry per cycle.
    reg        t_active = 1'b0;
    reg [31:0] t_e = 32'd0;
    reg [SWB*8-1:0] t_word = 0;

    // ---- GEMM: filler
    localparam [2:0] F_IDLE = 3'd0, F_WAIT = 3'd1, F_POP = 3'd2, F_ROWS = 3'd3, F_SPAD = 3'd4, F_TSHIFT = 3'd5;
    reg [2:0]  fl_state = F_IDLE;
    reg [31:0] fl_tile = 32'd0, fl_nt = 32'd0, fl_kt = 32'd0;
    reg [31:0] fl_pw = 32'd0;           // param words popped this tile
    reg [31:0] fl_word = 32'd0;         // tile words popped
    reg [31:0] fl_row = 32'd0;          // rows shifted this tile
    reg [31:0] fl_wrow = 32'd0;         // rows left in the latched word
    reg [SWB*8-1:0] fl_buf = 0;         // the latched stream word
    reg [31:0] fl_k = 32'd0;            // scratchpad reads issued
    reg        fl_rd_v = 1'b0;          // a scratchpad read returns this cycle
    reg [31:0] fl_rd_k = 32'd0;
    // Transposer: R rows of C bytes, a column shift register. Column reads arrive in order
    // (token nj*C + 0, 1, .., C-1) and shift in at the top, so after C reads column c holds token
    // c with no write address at all; rows leave through one R:1 multiplexer per column.
    reg [C*8-1:0] tr [0:R-1];
    wire       fl_b = fl_tile[0];
    // Segment and tile-within-segment of the n- and k-tile, kept as counters (no dividers), with
    // each tile's slice rotation within a scratchpad word and word offset: nrot = nj % (V/C),
    // nwd = nj*C / V, krot = kj % (V/R), kwd = kj*R / V.
    reg [31:0] fl_nj = 32'd0, fl_ns = 32'd0, fl_kj = 32'd0, fl_ks = 32'd0;
    reg [NRB-1:0] fl_nrot = {NRB{1'b0}};
    reg [KRB-1:0] fl_krot = {KRB{1'b0}};
    reg [31:0] fl_nwd = 32'd0, fl_kwd = 32'd0;
    wire       fl_need_params = (fl_kt == 32'd0) & epi_rq & epi_sparam;
    wire [31:0] fl_reads = (g_bkind == 32'd1) ? R : C;
    // Fabric array: two banks, tile t reuses the bank of tile t-2 once its last vector has passed.
    // DSP cascades: one shadow, tile t loads as tile t-1's first vector enters (it started SWAP
    // cycles ago; is_tile + is_active counts started tiles): each PE's shadow holds until the
    // swap token has passed it (vf_systolic_cascade.v).
    // (A generate branch, not a ?: on CASCADE: Yosys maps the fabric core 17 % smaller so.)
    wire       fl_cond;
    wire       fl_commit = (xstate == X_GEMM) & (fl_state == F_WAIT) & fl_cond;
    // Lane masks: one count per tile, decoded per lane. k lanes of the tile below the segment
    // end (columns of B: seglen counts features), n lanes likewise (rows of B: seglen counts
    // tokens); each is min(seglen - base, lanes), 0 past the end.
    wire [31:0]    fl_kbase = fl_kj * R;
    wire [31:0]    fl_krem  = g_b_seglen - fl_kbase;
    wire [RCB-1:0] fl_kcnt  = (fl_kbase >= g_b_seglen) ? {RCB{1'b0}} : (fl_krem >= R) ? R_CNT : fl_krem[RCB-1:0];
    wire [31:0]    fl_nbase = fl_nj * C;
    wire [31:0]    fl_nrem  = g_b_seglen - fl_nbase;
    wire [CCB-1:0] fl_ncnt  = (fl_nbase >= g_b_seglen) ? {CCB{1'b0}} : (fl_nrem >= C) ? C_CNT : fl_nrem[CCB-1:0];
    // The word read for a row of B (C lanes at slice nrot) and whether that row is a token.
    wire [C*8-1:0] fl_b_slice  = slice_c(fr_q, fl_nrot);
    wire           fl_b_row_ok = (fl_kbase + R - 1 - fl_rd_k) < g_b_valid;
    // The word read for a column of B (R lanes at slice krot), masked, into the transposer.
    wire [R*8-1:0] fl_tr_slice = slice_r(fr_q, fl_krot);
    wire           fl_tr_col_ok = (fl_nbase + fl_rd_k) < g_b_valid;
    wire [RB-1:0]  fl_tr_row = R_LAST - fl_row[RB-1:0];    // F_TSHIFT shifts rows R-1 .. 0
    wire [C*8-1:0] tr_out = tr[fl_tr_row];
    // Filler scratchpad reads: fr_re, fr_addr -> fr_q (vf_spad read port 1).

    // ---- GEMM: issuer (scratchpad port 1 is shared with the row readers and the embedding)
    reg        is_active = 1'b0;
    reg [31:0] is_tile = 32'd0, is_nt = 32'd0, is_kt = 32'd0, is_m = 32'd0;
    reg [47:0] is_prev = 48'd0;
    reg        is_first = 1'b1;
    wire       is_b = is_tile[0];
    reg [31:0] is_kj = 32'd0, is_ks = 32'd0, is_nj = 32'd0, is_ns = 32'd0;
    reg [NRB-1:0] is_nrot = {NRB{1'b0}};
    reg [KRB-1:0] is_krot = {KRB{1'b0}};
    reg [31:0] is_nwd = 32'd0, is_kwd = 32'd0;
    wire [31:0] is_alanes = g_a_seglen - is_kj * R;   // k lanes of A left in the segment
    wire       is_cond = (xstate == X_GEMM) & ~is_active & (is_tile < g_tiles) & filled[is_b]
                       & (is_first | (now >= is_prev + 2));
    wire       is_go = is_cond | is_active;
    generate
        if (CASCADE != 0) begin : g_fill_shadow
            assign fl_cond = (fl_tile < g_tiles)
                & ((fl_tile == 32'd0) | ((is_tile + {31'd0, is_active} == fl_tile) & (now >= is_prev + SWAP)));
            // The first vector of each tile carries the swap token (read only with a_valid, which
            // the issuer sets in the same cycles).
            always @(posedge clk) if (xstate == X_GEMM && is_go) a_first <= ~is_active;
        end else begin : g_fill_banks
            assign fl_cond = (fl_tile < g_tiles) & ((fl_tile < 2) | (released[fl_b] & (now >= bank_ie[fl_b] + 1 + REUSE)));
        end
    endgenerate
    // Issuer scratchpad reads: p1_re, p1_addr -> p1_q (vf_spad read port 0).
    // The activation read this cycle enters the array next cycle with its tag.
    reg        iss_v = 1'b0;
    reg        iss_bank = 1'b0;
    reg [KRB-1:0] iss_krot = {KRB{1'b0}};
    reg [RCB-1:0] iss_valid_lanes = {RCB{1'b0}};   // one count per tile, decoded per lane
    reg [31:0] iss_m = 32'd0, iss_nt = 32'd0, iss_nj = 32'd0, iss_ns = 32'd0, iss_nwd = 32'd0;
    reg [NRB-1:0] iss_nrot = {NRB{1'b0}};
    reg        iss_first = 1'b0, iss_last = 1'b0;
    wire [R*8-1:0] iss_slice = slice_r(p1_q, iss_krot);
    genvar gr;
    generate
        for (gr = 0; gr < R; gr = gr + 1) begin : g_ain
            assign a_in[gr*A_BITS +: A_BITS] = (gr < iss_valid_lanes) ? iss_slice[gr*8 +: A_BITS] : {A_BITS{1'b0}};
        end
    endgenerate

    // Tags travel beside the array: {m, nt, nj, ns, nwd, nrot, first_k, last_k}.
    localparam integer TAGW = 32*5 + NRB + 2;
    reg [TAGW-1:0] tag_pipe [0:ALAT-1];
    reg            tagv_pipe [0:ALAT-1];
    integer tp1, tp2;
    always @(posedge clk) begin
        tag_pipe[0]  <= {iss_m, iss_nt, iss_nj, iss_ns, iss_nwd, iss_nrot, iss_first, iss_last};
        tagv_pipe[0] <= iss_v;
        for (tp1 = 1; tp1 < ALAT; tp1 = tp1 + 1) begin
            tag_pipe[tp1]  <= tag_pipe[tp1-1];
            tagv_pipe[tp1] <= tagv_pipe[tp1-1];
        end
    end
    wire [TAGW-1:0] y_tag = tag_pipe[ALAT-1];
    wire            y_tagv = tagv_pipe[ALAT-1] & (xstate == X_GEMM);

    // ---- GEMM: epilogue. Stage e1 = Y+1 (accumulate), requantiser Y+1 -> Y+4, table or bypass
    // Y+4 -> Y+5, residual or bypass Y+5 -> Y+7, write at Y+7.
    reg [C*ACC_BITS-1:0] e1_y = 0;
    reg [C*ACC_BITS-1:0] acc_q = 0;
    reg [TAGW-1:0] e_tag [1:EPI_RQ];
    reg            e_v   [1:EPI_RQ];
    always @(posedge clk) begin
        acc_q <= accm[y_tag[TAGW-1 -: 32]];
        e1_y  <= y_out;
        e_tag[1] <= y_tag;
        // The instruction's last write empties the pipeline: a scores GEMM writes at Y+1 and
        // must not leave its rows to reach Y+7 under the next GEMM.
        e_v[1]   <= y_tagv & y_valid & ~x_finish;
        for (tp2 = 2; tp2 <= EPI_RQ; tp2 = tp2 + 1) begin
            e_tag[tp2] <= e_tag[tp2-1];
            e_v[tp2]   <= e_v[tp2-1] & ~x_finish;
        end
    end
    wire [31:0] e1_m     = e_tag[1][TAGW-1 -: 32];
    wire [31:0] e1_nt    = e_tag[1][TAGW-33 -: 32];
    wire        e1_first = e_tag[1][1];
    wire        e1_last  = e_tag[1][0];
    reg  [C*ACC_BITS-1:0] e1_sum;
    reg  [SBW-1:0]        e1_sum32;
    integer ln1, ln2, ln3, ln4, ln5, ln6, ln7;
    always @(*) begin
        for (ln1 = 0; ln1 < C; ln1 = ln1 + 1) begin
            e1_sum[ln1*ACC_BITS +: ACC_BITS] = (e1_first ? {ACC_BITS{1'b0}} : acc_q[ln1*ACC_BITS +: ACC_BITS])
                                            + e1_y[ln1*ACC_BITS +: ACC_BITS];
            e1_sum32[ln1*32 +: 32] = {{(32-ACC_BITS){e1_sum[ln1*ACC_BITS+ACC_BITS-1]}}, e1_sum[ln1*ACC_BITS +: ACC_BITS]};
        end
    end
    always @(posedge clk) begin
        if (xstate == X_GEMM && e_v[1] && !e1_last) accm[e1_m] <= e1_sum;
    end

    // Per-channel requantisation parameters, four n-tiles deep (filled by the filler).
    reg [31:0] pb_bias [0:4*C-1];
    reg [15:0] pb_m    [0:4*C-1];
    reg [5:0]  pb_sh   [0:4*C-1];
    reg [C*32-1:0] rq_bias;
    reg [C*16-1:0] rq_mult;
    reg [C*6-1:0]  rq_shift;
    always @(*) begin
        for (ln2 = 0; ln2 < C; ln2 = ln2 + 1) begin
            if (epi_sparam) begin
                rq_bias[ln2*32 +: 32] = pb_bias[(e1_nt % 4)*C + ln2];
                rq_mult[ln2*16 +: 16] = pb_m[(e1_nt % 4)*C + ln2];
                rq_shift[ln2*6 +: 6]  = pb_sh[(e1_nt % 4)*C + ln2];
            end else begin
                rq_bias[ln2*32 +: 32] = 32'd0;
                rq_mult[ln2*16 +: 16] = g_const_m[15:0];
                rq_shift[ln2*6 +: 6]  = g_const_sh[5:0];
            end
        end
    end
    wire [C*16-1:0] rq_out;
    wire            rq_ov;
    vf_requant #(.L(C), .ACC_BITS(32), .OUT_BITS(16)) u_requant (
        .clk(clk), .acc_in(e1_sum32), .bias(rq_bias), .mult(rq_mult), .shift(rq_shift),
        .in_valid(e_v[1] & e1_last), .y_out(rq_out), .out_valid(rq_ov)
    );
    // Y+4: saturate to the instruction's output width.
    reg [C*16-1:0] v4;
    reg [C*8-1:0]  v4_8;
    always @(*) begin
        for (ln3 = 0; ln3 < C; ln3 = ln3 + 1) begin
            v4[ln3*16 +: 16] = clamp16(rq_out[ln3*16 +: 16], g_outbits);
            v4_8[ln3*8 +: 8] = v4[ln3*16 +: 8];
        end
    end
    // Table (GELU) or bypass: Y+4 -> Y+5.
    wire [C*8-1:0] lut_out;
    wire           lut_ov;
    reg            tbl_we;
    reg  [7:0]     tbl_addr;
    reg  [7:0]     tbl_data;
    vf_lut #(.L(C), .IN_BITS(8), .OUT_BITS(8)) u_lut (
        .clk(clk), .tbl_we(tbl_we), .tbl_addr(tbl_addr), .tbl_data(tbl_data),
        .x_in(v4_8), .in_valid(1'b1), .y_out(lut_out), .out_valid(lut_ov)
    );
    reg [C*16-1:0] v5_byp = 0;
    always @(posedge clk) v5_byp <= v4;
    reg [C*16-1:0] v5;
    always @(*) begin
        for (ln4 = 0; ln4 < C; ln4 = ln4 + 1)
            v5[ln4*16 +: 16] = epi_table ? {{8{lut_out[ln4*8+7]}}, lut_out[ln4*8 +: 8]} : v5_byp[ln4*16 +: 16];
    end
    // Residual or bypass: Y+5 -> Y+7; its other operand is read (port 3) at Y+4.
    wire [31:0]    e4_m    = e_tag[4][TAGW-1 -: 32];
    wire [31:0]    e4_nwd  = e_tag[4][TAGW-129 -: 32];
    wire [NRB-1:0] e5_nrot = e_tag[5][NRB+1:2];
    assign res_re   = e_v[4];
    assign res_addr = fld(xi, F_G_RES_WORD) + e4_m * fld(xi, F_G_RES_ROW_WORDS) + e4_nwd;
    wire [C*8-1:0] res_x = slice_c(res_q, e5_nrot);
    reg [C*8-1:0] v5_8;
    always @(*) begin
        for (ln5 = 0; ln5 < C; ln5 = ln5 + 1)
            v5_8[ln5*8 +: 8]  = v5[ln5*16 +: 8];
    end
    wire [C*8-1:0] res_out;
    wire           res_ov;
    vf_residual_add #(.L(C), .A_BITS(8), .B_BITS(8), .OUT_BITS(8)) u_residual (
        .clk(clk), .a_in(epi_swap ? v5_8 : res_x), .b_in(epi_swap ? res_x : v5_8),
        .ma(g_res_ma[15:0]), .mb(g_res_mb[15:0]), .shift(g_res_sh[5:0]),
        .in_valid(1'b1), .y_out(res_out), .out_valid(res_ov)
    );
    reg [C*16-1:0] v6_byp = 0, v7_byp = 0;
    always @(posedge clk) begin
        v6_byp <= v5;
        v7_byp <= v6_byp;
    end
    reg [C*16-1:0] v7;
    always @(*) begin
        for (ln6 = 0; ln6 < C; ln6 = ln6 + 1)
            v7[ln6*16 +: 16] = epi_res
                ? clamp16({{8{res_out[ln6*8+7]}}, res_out[ln6*8 +: 8]}, fld(xi, F_G_RES_BITS))
                : v7_byp[ln6*16 +: 16];
    end
    wire [31:0] e7_m  = e_tag[EPI_RQ][TAGW-1 -: 32];
    wire [31:0] e7_nt = e_tag[EPI_RQ][TAGW-33 -: 32];
    wire [31:0] e7_nj = e_tag[EPI_RQ][TAGW-65 -: 32];
    wire [31:0] e7_ns = e_tag[EPI_RQ][TAGW-97 -: 32];
    wire [31:0] e7_nwd = e_tag[EPI_RQ][TAGW-129 -: 32];
    wire [NRB-1:0] e7_nrot = e_tag[EPI_RQ][NRB+1:2];
    // A packed output starts at slice g_epi[8 +: ..] of its first word (Requant::out_slice):
    // the n-tile's slice moves on by that much, into the next word past the last slice.
    wire [NRB:0]   e7_osum  = {1'b0, e7_nrot} + {1'b0, g_epi[8 +: NRB]};
    wire           e7_ocar  = e7_osum >= NROT;
    /* verilator lint_off WIDTH */
    wire [NRB-1:0] e7_orot  = e7_ocar ? e7_osum - NROT : e7_osum;
    /* verilator lint_on WIDTH */
    // Output lanes of this n-tile still inside the segment: one count, decoded per lane.
    wire [31:0]    e7_nbase = e7_nj * C;
    wire [31:0]    e7_nrem  = g_nseglen - e7_nbase;
    wire [CCB-1:0] e7_ncnt  = (e7_nbase >= g_nseglen) ? {CCB{1'b0}} : (e7_nrem >= C) ? C_CNT : e7_nrem[CCB-1:0];
    wire        e7_last = e_tag[EPI_RQ][0];
    wire        e7_write = (xstate == X_GEMM) & epi_rq & e_v[EPI_RQ] & e7_last;
    wire        e1_score = (xstate == X_GEMM) & ~epi_rq & e_v[1] & e1_last;
    reg [SBW-1:0] v7_32;
    always @(*) begin
        for (ln7 = 0; ln7 < C; ln7 = ln7 + 1) v7_32[ln7*32 +: 32] = {{16{v7[ln7*16+15]}}, v7[ln7*16 +: 16]};
    end
    // Score-buffer writes: scores at Y+1, wide results at Y+7.
    assign sbs_we   = e1_score;
    assign sbs_addr = fld(xi, F_G_SBUF_WORD) + e1_nt * g_m + e1_m;
    assign sbs_data = e1_sum32;
    assign sbw_we   = e7_write && epi_wide;
    assign sbw_addr = fld(xi, F_G_SBUF_WORD) + e7_nt * g_m + e7_m;
    assign sbw_data = v7_32;
    reg [31:0] g_writes = 32'd0;
    wire       g_write_now = e1_score | e7_write;

    // ---- Row units
    localparam integer SMB = (SM_MAX + C - 1) / C;
    localparam integer LNB = (LN_MAX + LN_L - 1) / LN_L;
    reg  [C*SM_Z-1:0] sm_z;
    reg  [SM_UNITS-1:0] sm_in_valid;
    reg               sm_in_last;
    reg  [7:0]        sm_in_count;
    wire [SM_UNITS-1:0] sm_ready, sm_ov, sm_olast;
    wire [C*SM_OUT-1:0] sm_y [0:SM_UNITS-1];
    wire [7:0]        sm_ocount [0:SM_UNITS-1];
    reg  [LN_L*8-1:0]    ln_x;
    reg  [LN_UNITS-1:0] ln_in_valid;
    reg               ln_in_last;
    reg  [7:0]        ln_in_count;
    wire [LN_UNITS-1:0] ln_ready, ln_ov, ln_olast;
    wire [LN_L*LN_OUT-1:0] ln_y [0:LN_UNITS-1];
    wire [7:0]        ln_ocount [0:LN_UNITS-1];
    reg               prm_we;
    reg  [13:0]       prm_addr;
    reg  [15:0]       prm_gamma;
    reg  [63:0]       prm_beta;
    genvar gu;
    generate
        for (gu = 0; gu < SM_UNITS; gu = gu + 1) begin : g_sm
            vf_softmax #(.L(C), .Z_BITS(SM_Z), .OUT_BITS(SM_OUT), .N_MAX(SM_MAX)) u (
                .clk(clk), .rst(rst), .z_in(sm_z), .in_valid(sm_in_valid[gu]), .in_last(sm_in_last),
                .in_count(sm_in_count), .mult(s_mult[15:0]), .shift(s_shift[5:0]),
                .in_ready(sm_ready[gu]), .y_out(sm_y[gu]), .out_valid(sm_ov[gu]), .out_last(sm_olast[gu]),
                .out_count(sm_ocount[gu])
            );
        end
        for (gu = 0; gu < LN_UNITS; gu = gu + 1) begin : g_ln
            vf_layernorm #(.L(LN_L), .X_BITS(8), .OUT_BITS(LN_OUT), .N_MAX(LN_MAX)) u (
                .clk(clk), .rst(rst), .prm_we(prm_we), .prm_addr(prm_addr), .prm_gamma(prm_gamma),
                .prm_beta(prm_beta), .x_in(ln_x), .in_valid(ln_in_valid[gu]), .in_last(ln_in_last),
                .in_count(ln_in_count), .eps_q({fld(ri, F_L_EPS_HI), fld(ri, F_L_EPS_LO)}),
                .shift(l_shift[5:0]), .in_ready(ln_ready[gu]), .y_out(ln_y[gu]), .out_valid(ln_ov[gu]),
                .out_last(ln_olast[gu]), .out_count(ln_ocount[gu])
            );
        end
    endgenerate
    // Row reader (softmax from the score buffer, LayerNorm from the scratchpad).
    reg        rw_active = 1'b0;     // reading a row's beats
    reg [31:0] rw_row = 32'd0, rw_beat = 32'd0;
    reg [31:0] rw_u = 32'd0;         // rw_row % units_n, kept as a counter (no divider)
    reg        rw_v = 1'b0;          // a beat read last cycle enters its unit now
    reg [31:0] rw_v_unit = 32'd0, rw_v_beat = 32'd0, rw_v_row = 32'd0;
    wire [LRB-1:0] rw_v_lrot = rw_v_beat % LROT;   // the LayerNorm beat's slice of its word
    // Parameter loading (LayerNorm) and row-output bookkeeping.
    reg        lp_active = 1'b0;
    reg [31:0] lp_ch = 32'd0;
    reg [SWB*8-1:0] lp_word = 0;
    // Rows and beats each row unit has written: one entry per unit of the larger kind.
    localparam integer NU  = (SM_UNITS > LN_UNITS) ? SM_UNITS : LN_UNITS;
    localparam integer NUB = (NU > 1) ? $clog2(NU) : 1;
    reg [31:0] out_rows [0:NU-1];
    reg [31:0] out_beat [0:NU-1];
    reg [31:0] r_writes = 32'd0;
    wire [31:0] rows_n  = (rstate == R_SOFTMAX) ? fld(ri, F_S_ROWS) : fld(ri, F_L_ROWS);
    wire [31:0] beats_n = (rstate == R_SOFTMAX) ? fld(ri, F_S_BEATS) : fld(ri, F_L_BEATS);
    wire [31:0] units_n = (rstate == R_SOFTMAX) ? SM_UNITS : LN_UNITS;
    wire        rw_unit_ready = (rstate == R_SOFTMAX) ? sm_ready[rw_u] : ln_ready[rw_u];
    // A unit still shows in_ready in the cycle its row's last beat enters it (rw_v): it must not
    // be given the next row then (with one unit, rows would otherwise follow back to back).
    wire        rw_can  = ((rstate == R_SOFTMAX) | ((rstate == R_LN) & ~lp_active))
                        & ~rw_active & (rw_row < rows_n) & rw_unit_ready & ~(rw_v & (rw_v_unit == rw_u));
    wire        rw_go   = rw_can | rw_active;
    wire [31:0] rw_b    = rw_active ? rw_beat : 32'd0;
    // Row outputs: at most one unit emits per cycle; the write happens the next cycle.
    reg        ro_v = 1'b0;
    reg [SPW-1:0] ro_data = 0;
    reg [V-1:0] ro_en = 0;
    reg [31:0] ro_addr = 32'd0;
    assign ro_we = ro_v;
    assign ro_waddr = ro_addr;
    assign ro_wdata = ro_data;
    assign ro_wen = ro_en;
    // Which unit emits a row-output beat this cycle (the lowest index; all ones when none).
    reg [31:0] ro_unit;
    integer ru;
    always @(*) begin
        ro_unit = 32'hffff_ffff;
        for (ru = SM_UNITS + LN_UNITS; ru >= 0; ru = ru - 1)
            if (ru < units_n && ((rstate == R_SOFTMAX) ? (ru < SM_UNITS && sm_ov[ru % SM_UNITS])
                                                       : (ru < LN_UNITS && ln_ov[ru % LN_UNITS])))
                ro_unit = ru;
    end
    // Its entry in out_rows / out_beat (entry 0 when no unit emits: the write is disabled then).
    wire [NUB-1:0] ro_i = (ro_unit < NU) ? ro_unit[NUB-1:0] : {NUB{1'b0}};

    // ---- Embedding
    reg [31:0] em_t = 32'd0, em_w = 32'd0, em_k = 32'd0;
    reg        em_active = 1'b0;
    reg        em1_v = 1'b0, em2_v = 1'b0, em3_v = 1'b0;
    reg [31:0] em1_t, em1_w, em1_k, em2_t, em2_w, em2_k, em3_t, em3_w, em3_k;
    reg [SWB*8-1:0] em1_pos = 0;
    reg signed [63:0] em2_val [0:PPW-1];
    reg [SPW-1:0] em_out = 0;
    wire [31:0] em_dim  = fld(xi, F_E_DIM);
    wire [31:0] em_rw   = fld(xi, F_E_ROW_WORDS);
    wire [31:0] em_ppw  = fld(xi, F_E_POPS_PER_WORD);
    wire [31:0] em_mult = fld(xi, F_E_M);

    // ---- The exec engine's sequential logic.
    integer k2, kq;
    reg [7:0] wbyte;
    // x * m + pos of the embedding: an 8-bit activation, the 15-bit multiplier, a 64-bit term.
    function signed [63:0] embed_mac(input [7:0] x, input [15:0] m, input [63:0] pos);
        embed_mac = $signed({{56{x[7]}}, x}) * $signed({48'd0, m}) + $signed(pos);
    endfunction
    always @(*) begin
        // Defaults.
        fifo_pop = 1'b0;
        p1_re = 1'b0; p1_addr = 32'd0;
        lr_re = 1'b0; lr_addr = 32'd0;
        fr_re = 1'b0; fr_addr = 32'd0;
        sb_re = 1'b0; sb_addr = 32'd0;
        tbl_we = 1'b0; tbl_addr = 8'd0; tbl_data = 8'd0;
        w_shift = 1'b0; w_bank = fl_b; w_in = {C*W_BITS{1'b0}};
        prm_we = 1'b0; prm_addr = 14'd0; prm_gamma = 16'd0; prm_beta = 64'd0;
        sp_we = 1'b0; sp_waddr = 32'd0; sp_wdata = {SPW{1'b0}}; sp_wen = {V{1'b0}};
        x_finish = 1'b0;
        r_finish = 1'b0;
        wbyte = 8'd0;
        k2 = 0;
        kq = 0;
        // Scratchpad writes: load engine, GEMM epilogue, embedding (row outputs have their own port).
        if (ld_sp_we) begin
            sp_we = 1'b1; sp_waddr = ld_sp_addr; sp_wdata = lr_next[SPW-1:0]; sp_wen = {V{1'b1}};
        end else if (e7_write && !epi_wide) begin
            sp_we = 1'b1;
            sp_waddr = fld(xi, F_G_OUT_WORD) + e7_m * fld(xi, F_G_OUT_ROW_WORDS) + e7_ns * fld(xi, F_G_OUT_SEG_WORDS)
                     + e7_nwd + {31'd0, e7_ocar};
            // The C result lanes go to slice e7_orot of the word (a (V/C):1 choice per lane).
            for (kq = 0; kq < NROT; kq = kq + 1)
                if (e7_orot == kq)
                    for (k2 = 0; k2 < C; k2 = k2 + 1) begin
                        sp_wdata[(kq*C + k2)*8 +: 8] = v7[k2*16 +: 8];
                        sp_wen[kq*C + k2] = k2 < e7_ncnt;
                    end
        end else if (xstate == X_EMBED && em3_v && em3_k + 1 == em_ppw) begin
            sp_we = 1'b1;
            sp_waddr = fld(xi, F_E_OUT_WORD) + em3_t * fld(xi, F_E_OUT_ROW_WORDS) + em3_w;
            sp_wdata = em_out;
            for (k2 = 0; k2 < V; k2 = k2 + 1) sp_wen[k2] = (em3_w * V + k2) < em_dim;
        end
        case (xstate)
            X_GEMM: begin
                // Table entries, one per cycle; a stream word is popped for its first entry.
                if (t_active) begin
                    if (t_e % SWB != 0 || fifo_avail) begin
                        if (t_e % SWB == 0) fifo_pop = 1'b1;
                        wbyte = (t_e % SWB == 0) ? fifo_head[7:0] : t_word[(t_e % SWB)*8 +: 8];
                        tbl_we = 1'b1;
                        tbl_addr = t_e[7:0] + 8'd128 - (8'd1 << (g_outbits - 1));
                        tbl_data = wbyte;
                    end
                end
                // Filler.
                if (fl_commit || fl_state == F_POP) begin
                    if (g_bkind == 32'd0) begin
                        if (fifo_avail) begin
                            fifo_pop = 1'b1;
                            if (!(fl_need_params && fl_pw < g_pwords)) begin
                                // First row of a tile word, straight from the FIFO head.
                                w_shift = 1'b1;
                                for (k2 = 0; k2 < C; k2 = k2 + 1)
                                    w_in[k2*W_BITS +: W_BITS] = unpack_w(fifo_head, k2);
                            end
                        end
                    end else begin
                        fr_re = 1'b1;
                        fr_addr = fl_spad_addr(32'd0);
                    end
                end
                if (fl_state == F_ROWS) begin
                    w_shift = 1'b1;
                    for (k2 = 0; k2 < C; k2 = k2 + 1)
                        w_in[k2*W_BITS +: W_BITS] = unpack_w(fl_buf, k2);
                end
                if (fl_state == F_SPAD) begin
                    if (fl_k < fl_reads) begin
                        fr_re = 1'b1;
                        fr_addr = fl_spad_addr(fl_k);
                    end
                    if (fl_rd_v && g_bkind == 32'd1) begin
                        // Rows of B: array row R-1-k gets token kj*R + R-1-k.
                        w_shift = 1'b1;
                        for (k2 = 0; k2 < C; k2 = k2 + 1) begin
                            wbyte = fl_b_slice[k2*8 +: 8];
                            w_in[k2*W_BITS +: W_BITS] = (fl_b_row_ok && k2 < fl_ncnt) ? wbyte[W_BITS-1:0] : {W_BITS{1'b0}};
                        end
                    end
                end
                if (fl_state == F_TSHIFT) begin
                    w_shift = 1'b1;
                    for (k2 = 0; k2 < C; k2 = k2 + 1)
                        w_in[k2*W_BITS +: W_BITS] = tr_out[k2*8 +: W_BITS];
                end
                // Issuer.
                if (is_go) begin
                    p1_re = 1'b1;
                    p1_addr = g_a_word + (is_active ? is_m : 32'd0) * g_a_row + is_ks * g_a_segw + is_kwd;
                end
                if (g_write_now && g_writes + 1 == g_nt_n * g_m) x_finish = 1'b1;
            end
            X_EMBED: begin
                if (em_active && fifo_avail) begin
                    fifo_pop = 1'b1;
                    if (em_t > 0) begin
                        p1_re = 1'b1;
                        p1_addr = fld(xi, F_E_SRC_WORD) + (em_t - 1) * fld(xi, F_E_SRC_ROW_WORDS) + em_w;
                    end
                end
                if (em3_v && em3_k + 1 == em_ppw && em3_t + 1 == fld(xi, F_E_TOKENS) && em3_w + 1 == em_rw)
                    x_finish = 1'b1;
            end
            default: ;
        endcase
        // Row engine.
        if (rstate != R_IDLE) begin
            if (rstate == R_LN && lp_active) begin
                if (lp_ch % (SWB / 16) != 0 || fifo_avail) begin
                    if (lp_ch % (SWB / 16) == 0) fifo_pop = 1'b1;
                    prm_we = 1'b1;
                    prm_addr = lp_ch[13:0];
                    prm_gamma = (lp_ch % (SWB / 16) == 0) ? fifo_head[15:0]
                              : lp_word[(lp_ch % (SWB / 16))*128 +: 16];
                    prm_beta = (lp_ch % (SWB / 16) == 0) ? fifo_head[32 +: 64]
                             : lp_word[(lp_ch % (SWB / 16))*128 + 32 +: 64];
                end
            end
            if (rw_go) begin
                if (rstate == R_SOFTMAX) begin
                    sb_re = 1'b1;
                    sb_addr = fld(ri, F_S_SBUF_WORD) + rw_b * fld(ri, F_S_ROWS) + rw_row;
                end else begin
                    lr_re = 1'b1;
                    lr_addr = fld(ri, F_L_SRC_WORD) + rw_row * fld(ri, F_L_SRC_ROW_WORDS) + rw_b / LROT;
                end
            end
            if (ro_v && r_writes + 1 == rows_n * beats_n) r_finish = 1'b1;
        end
        // A detached softmax retires as soon as the row engine has it; a LayerNorm once its
        // parameters are in (they come through the stream FIFO, which the next GEMM pops).
        if (xstate == X_ROW) x_finish = (fld(xi, F_OPCODE) == OP_SOFTMAX) | ~lp_active;
    end

    // Filler helpers.
    function [31:0] fl_spad_addr(input [31:0] k);
        begin
            if (g_bkind == 32'd1)   // rows: token kj*R + R-1-k, features nj*C..
                fl_spad_addr = g_b_word + (fl_kj * R + R - 1 - k) * g_b_row + fl_nwd;
            else                    // columns: token nj*C + k, features kj*R..
                fl_spad_addr = g_b_word + (fl_nj * C + k) * g_b_row + fl_kwd;
        end
    endfunction
    // Lane c of the first row of a packed weight word at the instruction's w_bits, sign-extended
    // (binary: bit 1 = +1, bit 0 = -1). A case over the widths the array takes (1..W_BITS), each
    // a fixed slice: the row is always at bit 0 (next_row shifts the latched word).
    function [W_BITS-1:0] unpack_w(input [SWB*8-1:0] word, input integer c);
        reg [7:0] code;
        integer b, i;
        begin
            unpack_w = {W_BITS{1'b0}};
            code = 8'd0;
            for (b = 1; b <= W_BITS; b = b + 1)
                if (g_wbits == b) begin
                    for (i = 0; i < 8; i = i + 1) code[i] = word[c * b + ((i < b) ? i : b - 1)];
                    if (b == 1) unpack_w = code[0] ? {{(W_BITS-1){1'b0}}, 1'b1} : {W_BITS{1'b1}};
                    else unpack_w = code[W_BITS-1:0];
                end
        end
    endfunction
    // The latched weight word with its first row dropped (row bytes fixed per width).
    function [SWB*8-1:0] next_row(input [SWB*8-1:0] word);
        integer b;
        begin
            next_row = word;
            for (b = 1; b <= W_BITS; b = b + 1)
                if (g_wbits == b) next_row = word >> (((C * b + 7) / 8) * 8);
        end
    endfunction
    // Slice `rot` of a scratchpad word: R lanes (a k-slice) or C lanes (an n-slice).
    function [R*8-1:0] slice_r(input [SPW-1:0] w, input [KRB-1:0] rot);
        integer q;
        begin
            slice_r = w[R*8-1:0];
            for (q = 1; q < KROT; q = q + 1) if (rot == q) slice_r = w[q*R*8 +: R*8];
        end
    endfunction
    function [C*8-1:0] slice_c(input [SPW-1:0] w, input [NRB-1:0] rot);
        integer q;
        begin
            slice_c = w[C*8-1:0];
            for (q = 1; q < NROT; q = q + 1) if (rot == q) slice_c = w[q*C*8 +: C*8];
        end
    endfunction

    // Byte (k*PPW + lane) % V of the scratchpad word read for the embedding (pop k of the word).
    function [7:0] em_byte(input [31:0] k, input integer lane);
        integer q;
        begin
            em_byte = 8'd0;
            for (q = 0; q < EPW; q = q + 1) if (k == q) em_byte = p1_q[((q * PPW + lane) % V)*8 +: 8];
        end
    endfunction
    // Requantiser parameter slot (nt % 4)*C + pw*PPW + k, computed in PIB bits.
    function [PIB-1:0] pb_slot(input [31:0] nt, input [31:0] pw, input integer k);
        pb_slot = nt[1:0] * C + pw * PPW + k;
    endfunction
    integer k3;
    always @(posedge clk) begin
        a_valid <= 1'b0;
        iss_v <= 1'b0;
        fl_rd_v <= 1'b0;
        rw_v <= 1'b0;
        ro_v <= 1'b0;
        em1_v <= 1'b0;
        if (rst || start_pulse) begin
            xstate <= X_IDLE; ei <= 32'd0; exec_done <= 32'd0;
            rstate <= R_IDLE; rows_done <= 32'd0;
        end else if (running) begin
            if (x_start) begin
                xi <= ecur;
                case (fld(ecur, F_OPCODE))
                    OP_GEMM: xstate <= X_GEMM;
                    OP_SOFTMAX, OP_LAYERNORM: xstate <= X_ROW;
                    default: xstate <= X_EMBED;
                endcase
                if (e_row_op) begin
                    // The row engine takes the instruction (it is idle: x_start waits for that).
                    ri <= ecur;
                    rstate <= (fld(ecur, F_OPCODE) == OP_SOFTMAX) ? R_SOFTMAX : R_LN;
                    rw_active <= 1'b0; rw_row <= 32'd0; rw_beat <= 32'd0; rw_u <= 32'd0;
                    // A LayerNorm that keeps the units' gamma/beta streams none.
                    lp_active <= (fld(ecur, F_OPCODE) == OP_SOFTMAX) || (fld(ecur, F_L_KEEP_PARAMS) == 32'd0);
                    lp_ch <= 32'd0;
                    r_writes <= 32'd0;
                    for (k3 = 0; k3 < NU; k3 = k3 + 1) begin
                        out_rows[k3] <= 32'd0;
                        out_beat[k3] <= 32'd0;
                    end
                end
                // Per-instruction state.
                t_active <= (fld(ecur, F_OPCODE) == OP_GEMM) && ((fld(ecur, F_G_EPI) & 32'd4) != 0);
                t_e <= 32'd0;
                fl_state <= ((fld(ecur, F_G_EPI) & 32'd4) != 0) ? F_IDLE : F_WAIT;
                fl_tile <= 32'd0; fl_nt <= 32'd0; fl_kt <= 32'd0; fl_pw <= 32'd0; fl_word <= 32'd0;
                fl_nj <= 32'd0; fl_ns <= 32'd0; fl_kj <= 32'd0; fl_ks <= 32'd0;
                is_nj <= 32'd0; is_ns <= 32'd0; is_kj <= 32'd0; is_ks <= 32'd0;
                fl_nrot <= {NRB{1'b0}}; fl_krot <= {KRB{1'b0}}; fl_nwd <= 32'd0; fl_kwd <= 32'd0;
                is_nrot <= {NRB{1'b0}}; is_krot <= {KRB{1'b0}}; is_nwd <= 32'd0; is_kwd <= 32'd0;
                fl_row <= 32'd0; fl_k <= 32'd0;
                is_active <= 1'b0; is_tile <= 32'd0; is_nt <= 32'd0; is_kt <= 32'd0; is_m <= 32'd0;
                is_first <= 1'b1;
                filled[0] <= 1'b0; filled[1] <= 1'b0; released[0] <= 1'b0; released[1] <= 1'b0;
                g_writes <= 32'd0;
                em_active <= 1'b1; em_t <= 32'd0; em_w <= 32'd0; em_k <= 32'd0;
            end
            if (x_finish) begin
                xstate <= X_IDLE;
                ei <= ei + 32'd1;
                exec_done <= exec_done + 32'd1;
            end
            if (r_finish) begin
                rstate <= R_IDLE;
                rows_done <= rows_done + 32'd1;
            end
            // ---------------- GEMM
            if (xstate == X_GEMM) begin
                if (t_active && (t_e % SWB != 0 || fifo_avail)) begin
                    t_e <= t_e + 32'd1;
                    if (t_e + 32'd1 == g_tentries) begin
                        t_active <= 1'b0;
                        fl_state <= F_WAIT;
                    end
                end
                // Filler.
                if ((fl_commit || fl_state == F_POP)) begin
                    if (fl_commit) released[fl_b] <= 1'b0;
                    if (g_bkind == 32'd0) begin
                        fl_state <= F_POP;
                        if (fifo_avail) begin
                            if (fl_need_params && fl_pw < g_pwords) begin
                                fl_pw <= fl_pw + 32'd1;
                            end else begin
                                fl_word <= fl_word + 32'd1;
                                fl_row <= fl_row + 32'd1;
                                // Rows in this word: rows_per_word, or what is left of the tile.
                                if (fl_row + 32'd1 == R) begin
                                    fill_done();
                                end else if (g_rpw > 1) begin
                                    fl_wrow <= ((R - fl_row < g_rpw) ? R - fl_row : g_rpw) - 32'd1;
                                    fl_state <= F_ROWS;
                                end
                            end
                        end
                    end else begin
                        fl_state <= F_SPAD;
                        fl_k <= 32'd1;
                        fl_rd_v <= 1'b1;
                        fl_rd_k <= 32'd0;
                        fl_row <= 32'd0;
                    end
                end
                if (fl_state == F_ROWS) begin
                    fl_row <= fl_row + 32'd1;
                    fl_wrow <= fl_wrow - 32'd1;
                    if (fl_row + 32'd1 == R) fill_done();
                    else if (fl_wrow == 32'd1) fl_state <= F_POP;
                end
                if (fl_state == F_SPAD) begin
                    if (fl_k < fl_reads) begin
                        fl_k <= fl_k + 32'd1;
                        fl_rd_v <= 1'b1;
                        fl_rd_k <= fl_k;
                    end
                    if (fl_rd_v) begin
                        if (g_bkind == 32'd1) begin
                            if (fl_rd_k + 1 == R) fill_done();
                        end else begin
                            // Column k of the transposer (token nj*C + k, features kj*R + r) shifts
                            // in at the top of every row.
                            for (k3 = 0; k3 < R; k3 = k3 + 1)
                                tr[k3] <= {(fl_tr_col_ok && k3 < fl_kcnt) ? fl_tr_slice[k3*8 +: 8] : 8'd0,
                                           tr[k3][C*8-1:8]};
                            if (fl_rd_k + 1 == C) begin
                                fl_state <= F_TSHIFT;
                                fl_row <= 32'd0;
                            end
                        end
                    end
                end
                if (fl_state == F_TSHIFT) begin
                    fl_row <= fl_row + 32'd1;
                    if (fl_row + 32'd1 == R) fill_done();
                end
                // Issuer.
                if (is_go) begin
                    iss_v <= 1'b1;
                    a_valid <= 1'b1;
                    a_bank <= is_b;
                    iss_bank <= is_b;
                    iss_krot <= is_krot;
                    iss_valid_lanes <= (g_a_seglen - is_kj * R < R) ? is_alanes[RCB-1:0] : R_CNT;
                    iss_m <= is_active ? is_m : 32'd0;
                    iss_nt <= is_nt; iss_nj <= is_nj; iss_ns <= is_ns;
                    iss_nwd <= is_nwd; iss_nrot <= is_nrot;
                    iss_first <= is_kt == 32'd0;
                    iss_last <= is_kt + 1 == g_kt_n;
                    if (!is_active) begin
                        is_active <= 1'b1;
                        is_prev <= now;
                        is_first <= 1'b0;
                    end
                    if ((is_active ? is_m : 32'd0) + 1 == g_m) begin
                        is_active <= 1'b0;
                        is_m <= 32'd0;
                        filled[is_b] <= 1'b0;
                        released[is_b] <= 1'b1;
                        bank_ie[is_b] <= now;
                        is_tile <= is_tile + 32'd1;
                        {is_nt, is_nj, is_ns, is_kt, is_kj, is_ks, is_nrot, is_nwd, is_krot, is_kwd}
                            <= next_tile({is_nt, is_nj, is_ns, is_kt, is_kj, is_ks, is_nrot, is_nwd, is_krot, is_kwd});
                    end else begin
                        is_m <= (is_active ? is_m : 32'd0) + 32'd1;
                    end
                end
                if (g_write_now) g_writes <= g_writes + 32'd1;
            end
            // ---------------- Softmax and LayerNorm
            if (rstate == R_LN && lp_active && (lp_ch % (SWB / 16) != 0 || fifo_avail)) begin
                lp_ch <= lp_ch + 32'd1;
                if (lp_ch + 32'd1 == fld(ri, F_L_DIM)) lp_active <= 1'b0;
            end
            if (rstate != R_IDLE && rw_go) begin
                rw_v <= 1'b1;
                rw_v_unit <= rw_u;
                rw_v_beat <= rw_b;
                rw_v_row <= rw_row;
                if (rw_b + 1 == beats_n) begin
                    rw_active <= 1'b0;
                    rw_row <= rw_row + 32'd1;
                    rw_u <= (rw_u + 32'd1 == units_n) ? 32'd0 : rw_u + 32'd1;
                    rw_beat <= 32'd0;
                end else begin
                    rw_active <= 1'b1;
                    rw_beat <= rw_b + 32'd1;
                end
            end
            if (rstate != R_IDLE && ro_v) r_writes <= r_writes + 32'd1;
            if (rstate != R_IDLE) begin
                for (k3 = 0; k3 < NU; k3 = k3 + 1) begin
                    if (k3 < units_n && ((rstate == R_SOFTMAX) ? sm_ov[k3 % SM_UNITS] : ln_ov[k3 % LN_UNITS])) begin
                        ro_v <= 1'b1;
                        if ((rstate == R_SOFTMAX) ? sm_olast[k3 % SM_UNITS] : ln_olast[k3 % LN_UNITS]) begin
                            out_rows[k3] <= out_rows[k3] + 32'd1;
                            out_beat[k3] <= 32'd0;
                        end else begin
                            out_beat[k3] <= out_beat[k3] + 32'd1;
                        end
                    end
                end
                ro_addr <= row_out_addr(ro_unit);
                ro_data <= row_out_data(ro_unit);
                ro_en <= row_out_en(ro_unit);
            end
            // ---------------- Embedding: pop (c), multiply-add (c+1), round/saturate (c+2), write (c+3)
            if (xstate == X_EMBED) begin
                if (em_active && fifo_avail) begin
                    em1_v <= 1'b1;
                    em1_t <= em_t; em1_w <= em_w; em1_k <= em_k;
                    if (em_k + 1 == em_ppw) begin
                        em_k <= 32'd0;
                        if (em_w + 1 == em_rw) begin
                            em_w <= 32'd0;
                            em_t <= em_t + 32'd1;
                            if (em_t + 1 == fld(xi, F_E_TOKENS)) em_active <= 1'b0;
                        end else begin
                            em_w <= em_w + 32'd1;
                        end
                    end else begin
                        em_k <= em_k + 32'd1;
                    end
                end
                em2_v <= em1_v;
                em2_t <= em1_t; em2_w <= em1_w; em2_k <= em1_k;
                em3_v <= em2_v;
                em3_t <= em2_t; em3_w <= em2_w; em3_k <= em2_k;
            end
        end
    end

    // The exec engine's wide data registers, each in a flat block under the same condition as in
    // the engine above: nested under its control, every bit became a multiplexer per nesting
    // level, which Yosys spent minutes building and removing (docs/hardware.md, "Yosys time").
    wire x_run = running & ~rst & ~start_pulse;
    wire fl_pop_row = (fl_commit || fl_state == F_POP) && g_bkind == 32'd0 && fifo_avail;
    wire fl_pop_params = fl_pop_row && fl_need_params && fl_pw < g_pwords;
    always @(posedge clk) if (x_run && xstate == X_GEMM && t_active && fifo_avail && t_e % SWB == 0)
        t_word <= fifo_head;
    always @(posedge clk) if (x_run && xstate == X_GEMM) begin
        if (fl_state == F_ROWS) fl_buf <= next_row(fl_buf);
        else if (fl_pop_row && !fl_pop_params) fl_buf <= next_row(fifo_head);
    end
    // Requantiser parameters: slot (nt % 4)*C + channel, in PIB bits (no wide address).
    integer kp;
    always @(posedge clk) if (x_run && xstate == X_GEMM && fl_pop_params)
        for (kp = 0; kp < PPW; kp = kp + 1)
            if (fl_pw * PPW + kp < C) begin
                pb_bias[pb_slot(fl_nt, fl_pw, kp)] <= fifo_head[kp*64 +: 32];
                pb_m[pb_slot(fl_nt, fl_pw, kp)]    <= fifo_head[kp*64 + 32 +: 16];
                pb_sh[pb_slot(fl_nt, fl_pw, kp)]   <= fifo_head[kp*64 + 48 +: 6];
            end
    always @(posedge clk) if (x_run && rstate == R_LN && lp_active && fifo_avail && lp_ch % (SWB / 16) == 0)
        lp_word <= fifo_head;
    // Embedding data path: pop (c), multiply-add (c+1), round/saturate and place (c+2).
    reg [PPW*8-1:0] em_q;   // each value rounded and saturated once, then placed
    integer ke, kf;
    always @(*)
        for (ke = 0; ke < PPW; ke = ke + 1)
            em_q[ke*8 +: 8] = (em2_t == 32'd0) ? em2_val[ke][7:0]
                     : clampb(rshift_round(em2_val[ke], fld(xi, F_E_SHIFT)), fld(xi, F_E_OUT_BITS));
    always @(posedge clk) if (x_run && xstate == X_EMBED) begin
        if (em_active && fifo_avail) em1_pos <= fifo_head;
        for (ke = 0; ke < PPW; ke = ke + 1)
            em2_val[ke] <= (em1_t == 32'd0) ? $signed(em1_pos[ke*64 +: 64])
                         : embed_mac(em_byte(em1_k, ke), em_mult[15:0], em1_pos[ke*64 +: 64]);
        // Value ke of pop em2_k is byte em2_k*PPW + ke of the word: one compare of the pop
        // index per pop, constant byte positions (no shifter by a 32-bit offset).
        if (em2_v)
            for (ke = 0; ke < PPW; ke = ke + 1)
                for (kf = 0; kf < EPW; kf = kf + 1)
                    if (em2_k == kf && kf * PPW + ke < V)
                        em_out[((kf * PPW + ke < V) ? kf * PPW + ke : 0)*8 +: 8] <= em_q[ke*8 +: 8];
    end

    // Debug trace (+vftrace): instruction spans and the first epilogue rows. Simulation only.
`ifndef SYNTHESIS
    always @(posedge clk) begin
        if ($test$plusargs("vftrace")) begin
            if (x_start) $display("X %0d start %0d op %0d", ei, now, fld(ecur, F_OPCODE));
            if (running && m_rvalid && !fetched && (fstate == 2'd1 || f_returned + 1 == f_total))
                $display("F beat %0d of %0d returned at %0d (issued %0d)", f_returned, f_total, now, f_issued);
            if (running && fetched && m_rvalid && lr_beats + 32'd1 == fld(lrcur, F_BEATS))
                $display("L %0d end %0d", lr, now);
            if (running && m_arvalid && fetched && l_issued == 0) $display("L %0d first issue %0d", li, now);
            if (st_start) $display("S %0d start %0d", si, now);
            if (rstate != R_IDLE && rw_can) $display("  row %0d start %0d", rw_row, now);
            if (rstate != R_IDLE && ro_v && out_beat[0] == 0) $display("  out write %0d", now);
            if (r_finish) $display("R %0d end %0d", rows_done, now);
            if (m_bvalid && b_count + 32'd1 == s_target[store_done[15:0]]) $display("S %0d end %0d", store_done, now);
            if (x_finish) $display("X %0d end %0d", ei, now);
            if (xstate == X_GEMM && e_v[1] && e1_m < 2 && e1_nt == 0)
                $display("  e1 m=%0d nt=%0d first=%0d last=%0d sum0=%0d sum1=%0d y0=%0d acc0=%0d now=%0d", e1_m, e1_nt,
                         e1_first, e1_last, $signed(e1_sum32[31:0]), $signed(e1_sum32[63:32]),
                         $signed(e1_y[ACC_BITS-1:0]), $signed(acc_q[ACC_BITS-1:0]), now);
            if (xstate == X_GEMM && w_shift && fl_tile < 2)
                $display("  shift tile=%0d row=%0d st=%0d buf=%h bank=%0d w0=%0d w1=%0d now=%0d", fl_tile, fl_row, fl_state, fl_buf[63:0], w_bank,
                         $signed(w_in[W_BITS-1:0]), $signed(w_in[2*W_BITS-1:W_BITS]), now);
            if (xstate == X_GEMM && a_valid && iss_m < 2 && iss_nt == 0)
                $display("  issue m=%0d a0=%0d a1=%0d bank=%0d now=%0d", iss_m, $signed(a_in[A_BITS-1:0]),
                         $signed(a_in[2*A_BITS-1:A_BITS]), a_bank, now);
        end
    end
`endif

    // The tile after {nt, nj, ns, kt, kj, ks}: k-tiles inner, each index with its segment and
    // tile-within-segment kept as counters (no dividers).
    localparam integer TSW = 32*8 + NRB + KRB;
    function [TSW-1:0] next_tile(input [TSW-1:0] t);
        reg [31:0] nt, nj, ns, kt, kj, ks, nwd, kwd;
        reg [NRB-1:0] nrot;
        reg [KRB-1:0] krot;
        begin
            {nt, nj, ns, kt, kj, ks, nrot, nwd, krot, kwd} = t;
            if (kt + 1 == g_kt_n) begin
                {kt, kj, ks, kwd} = {32'd0, 32'd0, 32'd0, 32'd0};
                krot = {KRB{1'b0}};
                nt = nt + 1;
                if (nj + 1 == g_ntps) begin
                    nj = 0;
                    ns = ns + 1;
                    nrot = {NRB{1'b0}};
                    nwd = 0;
                end else begin
                    nj = nj + 1;
                    if (nrot == NROT - 1) begin
                        nrot = {NRB{1'b0}};
                        nwd = nwd + 1;
                    end else begin
                        nrot = nrot + 1'b1;
                    end
                end
            end else begin
                kt = kt + 1;
                if (kj + 1 == g_ktps) begin
                    kj = 0;
                    ks = ks + 1;
                    krot = {KRB{1'b0}};
                    kwd = 0;
                end else begin
                    kj = kj + 1;
                    if (krot == KROT - 1) begin
                        krot = {KRB{1'b0}};
                        kwd = kwd + 1;
                    end else begin
                        krot = krot + 1'b1;
                    end
                end
            end
            next_tile = {nt, nj, ns, kt, kj, ks, nrot, nwd, krot, kwd};
        end
    endfunction

    task fill_done;
        begin
            filled[fl_b] <= 1'b1;
            fl_state <= F_WAIT;
            fl_tile <= fl_tile + 32'd1;
            fl_pw <= 32'd0;
            fl_word <= 32'd0;
            fl_row <= 32'd0;
            fl_k <= 32'd0;
            {fl_nt, fl_nj, fl_ns, fl_kt, fl_kj, fl_ks, fl_nrot, fl_nwd, fl_krot, fl_kwd}
                <= next_tile({fl_nt, fl_nj, fl_ns, fl_kt, fl_kj, fl_ks, fl_nrot, fl_nwd, fl_krot, fl_kwd});
        end
    endtask

    function signed [63:0] rshift_round(input signed [63:0] v, input [31:0] s);
        begin
            if (s == 0) rshift_round = v;
            else rshift_round = (v + (64'sd1 <<< (s - 1))) >>> s;
        end
    endfunction

    function [31:0] row_out_addr(input [31:0] u);
        reg [31:0] row, beat;
        begin
            row = u + out_rows[ro_i] * units_n;
            beat = out_beat[ro_i];
            if (rstate == R_SOFTMAX)
                row_out_addr = fld(ri, F_S_OUT_WORD) + row * fld(ri, F_S_OUT_ROW_WORDS) + beat / NROT;
            else
                row_out_addr = fld(ri, F_L_OUT_WORD) + row * fld(ri, F_L_OUT_ROW_WORDS) + beat / LROT;
        end
    endfunction
    // A row unit's output beat placed in its slice of the scratchpad word (beat % (V/lanes)):
    // a choice among V/C (softmax) or V/LN_L (LayerNorm) slices, not a shift by a byte offset.
    function [SPW-1:0] row_out_data(input [31:0] u);
        integer l, q;
        reg [31:0] beat;
        reg [C*8-1:0] ys;
        reg [LN_L*8-1:0] yl;
        begin
            row_out_data = {SPW{1'b0}};
            beat = out_beat[ro_i];
            for (l = 0; l < C; l = l + 1)
                ys[l*8 +: 8] = {{(8-SM_OUT){sm_y[u % SM_UNITS][l*SM_OUT + SM_OUT - 1]}}, sm_y[u % SM_UNITS][l*SM_OUT +: SM_OUT]};
            for (l = 0; l < LN_L; l = l + 1)
                yl[l*8 +: 8] = {{(8-LN_OUT){ln_y[u % LN_UNITS][l*LN_OUT + LN_OUT - 1]}}, ln_y[u % LN_UNITS][l*LN_OUT +: LN_OUT]};
            if (rstate == R_SOFTMAX) begin
                for (q = 0; q < NROT; q = q + 1) if (beat % NROT == q) row_out_data[q*C*8 +: C*8] = ys;
            end else begin
                for (q = 0; q < LROT; q = q + 1) if (beat % LROT == q) row_out_data[q*LN_L*8 +: LN_L*8] = yl;
            end
        end
    endfunction
    function [V-1:0] row_out_en(input [31:0] u);
        integer l, q;
        reg [31:0] beat;
        reg [7:0] cnt;
        reg [C-1:0] es;
        reg [LN_L-1:0] el;
        begin
            row_out_en = {V{1'b0}};
            beat = out_beat[ro_i];
            cnt = (rstate == R_SOFTMAX) ? sm_ocount[u % SM_UNITS] : ln_ocount[u % LN_UNITS];
            for (l = 0; l < C; l = l + 1) es[l] = l < cnt;
            for (l = 0; l < LN_L; l = l + 1) el[l] = l < cnt;
            if (u != 32'hffff_ffff) begin
                if (rstate == R_SOFTMAX) begin
                    for (q = 0; q < NROT; q = q + 1) if (beat % NROT == q) row_out_en[q*C +: C] = es;
                end else begin
                    for (q = 0; q < LROT; q = q + 1) if (beat % LROT == q) row_out_en[q*LN_L +: LN_L] = el;
                end
            end
        end
    endfunction
    function [LN_L*8-1:0] slice_l(input [SPW-1:0] w, input [LRB-1:0] rot);
        integer q;
        begin
            slice_l = w[LN_L*8-1:0];
            for (q = 1; q < LROT; q = q + 1) if (rot == q) slice_l = w[q*LN_L*8 +: LN_L*8];
        end
    endfunction

    // Row-unit inputs: the beat read last cycle.
    integer k4;
    always @(*) begin
        k4 = 0;
        sm_in_valid = {SM_UNITS{1'b0}};
        ln_in_valid = {LN_UNITS{1'b0}};
        sm_in_last = rw_v_beat + 1 == beats_n;
        ln_in_last = rw_v_beat + 1 == beats_n;
        sm_in_count = (rw_v_beat + 1 == beats_n) ? fld(ri, F_S_LEN) - rw_v_beat * C : C;
        ln_in_count = (rw_v_beat + 1 == beats_n) ? fld(ri, F_L_DIM) - rw_v_beat * LN_L : LN_L;
        for (k4 = 0; k4 < C; k4 = k4 + 1) sm_z[k4*SM_Z +: SM_Z] = sb_q[k4*32 +: SM_Z];
        ln_x = slice_l(lr_q, rw_v_lrot);
        if (rw_v && rstate == R_SOFTMAX) sm_in_valid[rw_v_unit % SM_UNITS] = 1'b1;
        if (rw_v && rstate == R_LN) ln_in_valid[rw_v_unit % LN_UNITS] = 1'b1;
    end
endmodule
`default_nettype wire

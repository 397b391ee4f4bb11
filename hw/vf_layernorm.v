// vitfpga unit: integer LayerNorm over rows of up to N_MAX values, L lanes (docs/arithmetic.md 3.3).
//
//   S = sum x;  c_i = D*x_i - S;  V = sum c_i^2;  Q = floor(V / D) + eps_q;  R = max(isqrt(Q), 1)
//   inv = floor(2^40 / R);  n_i = rshift_round(c_i * inv, 28)
//   y_i = clamp_OUT( rshift_round(n_i * gamma_i + beta_i, shift) )
//
// One pass computes V / D: V = sum (D x_i - S)^2 = D^2 sum x_i^2 - 2 D S sum x_i + D S^2
// = D (D P - S^2) with P = sum x_i^2, so floor(V / D) = D P - S^2 exactly (no division, no second
// read of the row). S and P accumulate while the row loads.
//
// gamma (signed 16-bit) and beta (signed 64-bit) per channel are written beforehand through the
// prm_* port, one channel per cycle, while no row is in the unit. A row arrives as beats of L
// values (in_valid, in_count, in_last) while in_ready is high; eps_q and shift are sampled with
// the row. Then D P - S^2, one square root and one reciprocal; pass 3 reads the row back and
// streams y out.
//
// Rows overlap: the row memory has two banks, and the unit takes the next row (in_ready) as soon
// as a row's constants are done and its pass 3 starts, so row i+1 loads while row i streams out.
// Pass 3 of a row starts once the previous row's pass 3 has issued its last read (only a shorter
// row can catch up with a longer one); the row constants travel down the pass-3 pipeline with
// their beats, so back-to-back rows never mix.
// Cycle model: crates/vitfpga-hw/src/units/layernorm.rs.
module vf_layernorm #(
    parameter integer L        = 4,
    parameter integer X_BITS   = 8,
    parameter integer OUT_BITS = 8,
    parameter integer N_MAX    = 256
) (
    input  wire                  clk,
    input  wire                  rst,
    input  wire                  prm_we,
    input  wire [13:0]           prm_addr,
    input  wire [15:0]           prm_gamma,
    input  wire [63:0]           prm_beta,
    input  wire [L*X_BITS-1:0]   x_in,
    input  wire                  in_valid,
    input  wire                  in_last,
    input  wire [7:0]            in_count,
    input  wire [63:0]           eps_q,
    input  wire [5:0]            shift,
    output wire                  in_ready,
    output wire [L*OUT_BITS-1:0] y_out,
    output reg                   out_valid,
    output reg                   out_last,
    output reg  [7:0]            out_count
);
    localparam integer BEATS = (N_MAX + L - 1) / L;
    localparam integer AW = (BEATS > 1) ? $clog2(BEATS) : 1;
    // Memories span the whole address space, so the read pointer never leaves them (it rests one
    // past the last beat between rows).
    localparam integer DEPTH = 1 << AW;
    localparam integer DW = $clog2(N_MAX + 1);           // width of D
    localparam integer CW = X_BITS + DW + 1;             // width of c_i = D*x - S
    localparam integer PSW = 2*X_BITS + DW;              // width of P = sum x^2 (unsigned)
    localparam [3:0] S_LOAD = 4'd0, S_QW1 = 4'd1, S_QW2 = 4'd2, S_QMUL = 4'd3, S_QSUB = 4'd4,
                     S_SQRT = 4'd5, S_SQRTWAIT = 4'd6, S_INV = 4'd7, S_INVWAIT = 4'd8, S_HAND = 4'd9,
                     S_QLD = 4'd10;
    localparam signed [63:0] YMAX = (64'sd1 <<< (OUT_BITS - 1)) - 64'sd1;
    localparam signed [63:0] YMIN = -(64'sd1 <<< (OUT_BITS - 1));

    reg [3:0]   state = S_LOAD;
    reg [AW:0]  beats = {(AW+1){1'b0}};
    reg [7:0]   last_count = 8'd0;
    reg [DW-1:0] d_len = {DW{1'b0}};                   // D, elements in the row
    reg [AW:0]  rd = {(AW+1){1'b0}};
    reg signed [CW-1:0] s_sum = {CW{1'b0}};            // S
    reg [PSW-1:0] p_sum = {PSW{1'b0}};                 // P = sum x^2
    // D*P and S^2 by shift-and-add, one multiplier bit per cycle, both at once (MW cycles): no
    // DSP (Yosys 0.23's xc7 DSP mapping of these products gave netlists that disagree with the
    // RTL in gate-level simulation), no long carry chain, and a fixed latency for the cycle model.
    localparam integer MW = CW - 1;                         // multiplier bits: |S| (D has fewer)
    reg [63:0]   dp = 64'd0, s2 = 64'd0;                   // running products
    reg [63:0]   dp_m = 64'd0, s2_m = 64'd0;               // shifted multiplicands P, |S|
    reg [MW-1:0] dp_b = {MW{1'b0}}, s2_b = {MW{1'b0}};     // remaining multiplier bits D, |S|
    reg [7:0]    mcnt = 8'd0;
    wire [CW-2:0] s_abs = s_sum[CW-1] ? (~s_sum[CW-2:0] + 1'b1) : s_sum[CW-2:0];   // |S| < 2^(CW-1)
    reg [63:0]  eps_r = 64'd0;
    reg [5:0]   sh_r = 6'd0;
    reg [63:0]  q_r = 64'd0;
    reg [31:0]  r_r = 32'd0;
    reg [40:0]  inv = 41'd0;
    // Pass 3 works on copies: the next row loads (and changes the originals) while this row
    // streams out.
    reg signed [CW-1:0] p3_sum = {CW{1'b0}};
    reg [DW-1:0] p3_len = {DW{1'b0}};
    reg [5:0]   p3_sh = 6'd0;
    reg [40:0]  p3_inv = 41'd0;
    reg [AW:0]  p3_beats = {(AW+1){1'b0}};
    reg [7:0]   p3_lastc = 8'd0;
    reg         p3_active = 1'b0;     // pass 3 is reading a row
    reg         wb = 1'b0;            // row-memory bank of the loading row
    reg         p3_bank = 1'b0;       // bank pass 3 reads
    assign in_ready = (state == S_LOAD);
    wire accept = in_valid && in_ready;
    /* verilator lint_off UNUSED */
    wire [15:0] count16 = {8'd0, in_count};
    // Channel ch of the parameter port lives in lane ch % L, word ch / L.
    wire [31:0] prm_addr32 = {18'd0, prm_addr};
    wire [31:0] prm_word = prm_addr32 / L;
    wire [31:0] prm_lane = prm_addr32 % L;
    /* verilator lint_on UNUSED */
    wire last_beat_addr = (rd + 1'b1 == p3_beats);
    // The loaded row may start pass 3: none is running, or the running one reads its last beat now.
    wire hand_ok = !p3_active || last_beat_addr;

    function [L-1:0] mask_of(input [7:0] count);
        integer k;
        begin
            for (k = 0; k < L; k = k + 1) mask_of[k] = (k < count);
        end
    endfunction

    // Row memory (two banks: the loading row's and pass 3's) and per-lane parameter memories,
    // read at address rd.
    reg [L*X_BITS-1:0] mem [0:2*DEPTH-1];
    reg [L*X_BITS-1:0] rdata = {(L*X_BITS){1'b0}};
    integer jm;
    initial for (jm = 0; jm < 2*DEPTH; jm = jm + 1) mem[jm] = {(L*X_BITS){1'b0}};
    always @(posedge clk) begin
        if (accept) mem[{wb, beats[AW-1:0]}] <= x_in;
        rdata <= mem[{p3_bank, rd[AW-1:0]}];
    end

    // Sum of the valid lanes of an input beat.
    wire [L-1:0] in_mask = mask_of(in_count);
    reg signed [CW-1:0] beat_sum;
    integer k1;
    always @(*) begin
        beat_sum = {CW{1'b0}};
        for (k1 = 0; k1 < L; k1 = k1 + 1)
            if (in_mask[k1]) beat_sum = beat_sum + {{(CW-X_BITS){x_in[k1*X_BITS + X_BITS - 1]}}, x_in[k1*X_BITS +: X_BITS]};
    end

    // Squares of the loading row: masked x (stage 1), x^2 per lane (2), summed into P (3).
    // x^2 <= 2^(2 X_BITS - 2), in LUTs (DSPs are what the array needs).
    reg          q1_v = 1'b0, q2_v = 1'b0;
    reg          q1_first = 1'b0, q2_first = 1'b0;
    reg [L*X_BITS-1:0] q1_x = {(L*X_BITS){1'b0}};
    wire [L*2*X_BITS-1:0] xsq;                         // stage-2 squares per lane
    reg  [L*X_BITS-1:0] x_masked;                   // lanes past in_count read as 0
    integer k3;
    always @(*)
        for (k3 = 0; k3 < L; k3 = k3 + 1)
            x_masked[k3*X_BITS +: X_BITS] = (accept && in_mask[k3]) ? x_in[k3*X_BITS +: X_BITS] : {X_BITS{1'b0}};
    // |x|^2 as shifted partial products: adders Yosys keeps in LUTs (a $mul would take a DSP).
    function [2*X_BITS-1:0] square_of(input [X_BITS-1:0] v);
        reg [X_BITS-1:0]   m;
        reg [2*X_BITS-1:0] acc;
        integer j;
        begin
            m = v[X_BITS-1] ? (~v + 1'b1) : v;     // |v| (2^(X_BITS-1) for the minimum: still exact)
            acc = {(2*X_BITS){1'b0}};
            for (j = 0; j < X_BITS; j = j + 1)
                if (m[j]) acc = acc + ({{X_BITS{1'b0}}, m} << j);
            square_of = acc;
        end
    endfunction
    reg  [PSW-1:0] beat_psq;
    integer k2;
    always @(*) begin
        beat_psq = {PSW{1'b0}};
        for (k2 = 0; k2 < L; k2 = k2 + 1)
            beat_psq = beat_psq + {{(PSW-2*X_BITS){1'b0}}, xsq[k2*2*X_BITS +: 2*X_BITS]};
    end

    // Square root, reciprocal.
    reg         sqrt_start = 1'b0, inv_start = 1'b0;
    wire        sqrt_done, inv_done;
    wire [31:0] sqrt_root;
    wire [40:0] inv_quo;
    vf_isqrt u_sqrt (.clk(clk), .start(sqrt_start), .v(q_r), .done(sqrt_done), .root(sqrt_root));
    vf_recip40 u_inv (.clk(clk), .start(inv_start), .den({2'b00, r_r}), .done(inv_done), .quo(inv_quo));

    // Pass 3: read (0), c (1), c*inv (2), n (3), n*gamma (4), y (5). The row constants a beat
    // needs travel with it: D and S into stage 1, inv into 2, the shift into 5.
    reg [5:0] p3_v = 6'd0, p3_l = 6'd0;
    reg [7:0] p3_c0 = 8'd0, p3_c1 = 8'd0, p3_c2 = 8'd0, p3_c3 = 8'd0, p3_c4 = 8'd0, p3_c5 = 8'd0;
    reg signed [CW-1:0] k0_sum = {CW{1'b0}};
    reg [DW-1:0] k0_len = {DW{1'b0}};
    reg [40:0]  k0_inv = 41'd0, k1_inv = 41'd0;
    reg [5:0]   k0_sh = 6'd0, k1_sh = 6'd0, k2_sh = 6'd0, k3_sh = 6'd0, k4_sh = 6'd0;
    // The reciprocal of the row being handed to pass 3 (the cell's output in its done cycle).
    wire [40:0] inv_now = (state == S_INVWAIT) ? inv_quo : inv;

    always @(posedge clk) begin
        sqrt_start <= 1'b0;
        inv_start <= 1'b0;
        q1_v <= accept;
        q1_first <= accept && (beats == 0);
        q1_x <= x_masked;
        q2_v <= q1_v;
        q2_first <= q1_first;
        if (q2_v) p_sum <= (q2_first ? {PSW{1'b0}} : p_sum) + beat_psq;
        p3_v <= {p3_v[4:0], 1'b0};
        p3_l <= {p3_l[4:0], 1'b0};
        {p3_c5, p3_c4, p3_c3, p3_c2, p3_c1} <= {p3_c4, p3_c3, p3_c2, p3_c1, p3_c0};
        k0_sum <= p3_sum; k0_len <= p3_len; k0_inv <= p3_inv; k0_sh <= p3_sh;
        k1_inv <= k0_inv; k1_sh <= k0_sh;
        {k4_sh, k3_sh, k2_sh} <= {k3_sh, k2_sh, k1_sh};
        // Pass 3 reads one beat per cycle.
        if (p3_active) begin
            p3_v[0] <= 1'b1;
            p3_l[0] <= last_beat_addr;
            p3_c0 <= last_beat_addr ? p3_lastc : L[7:0];
            rd <= rd + 1'b1;
            if (last_beat_addr) p3_active <= 1'b0;
        end
        case (state)
            S_LOAD: if (accept) begin
                s_sum <= (beats == 0 ? {CW{1'b0}} : s_sum) + beat_sum;
                d_len <= (beats == 0 ? {DW{1'b0}} : d_len) + count16[DW-1:0];
                eps_r <= eps_q;
                sh_r  <= shift;
                beats <= beats + 1'b1;
                if (in_last) begin
                    state <= S_QW1;
                    last_count <= in_count;
                end
            end
            // The last beat's square reaches P at the end of S_QW2; S_QLD loads the multipliers.
            S_QW1: state <= S_QW2;
            S_QW2: state <= S_QLD;
            S_QLD: begin
                dp <= 64'd0;
                s2 <= 64'd0;
                dp_m <= {{(64-PSW){1'b0}}, p_sum};
                s2_m <= {{(64-MW){1'b0}}, s_abs};
                dp_b <= {{(MW-DW){1'b0}}, d_len};
                s2_b <= s_abs;
                mcnt <= 8'd0;
                state <= S_QMUL;
            end
            S_QMUL: begin
                if (dp_b[0]) dp <= dp + dp_m;
                if (s2_b[0]) s2 <= s2 + s2_m;
                dp_m <= dp_m << 1;
                s2_m <= s2_m << 1;
                dp_b <= dp_b >> 1;
                s2_b <= s2_b >> 1;
                mcnt <= mcnt + 8'd1;
                if ({24'd0, mcnt} == MW - 1) state <= S_QSUB;
            end
            // D P - S^2 = V / D >= 0 (Cauchy-Schwarz), below 2^(2 DW + 2 X_BITS): 64 bits suffice.
            S_QSUB: begin q_r <= dp - s2 + eps_r; state <= S_SQRT; end
            S_SQRT: begin sqrt_start <= 1'b1; state <= S_SQRTWAIT; end
            S_SQRTWAIT: if (sqrt_done) begin r_r <= (sqrt_root == 32'd0) ? 32'd1 : sqrt_root; state <= S_INV; end
            S_INV: begin inv_start <= 1'b1; state <= S_INVWAIT; end
            // Hand the row to pass 3 (at once, or once the running pass 3 reads its last beat)
            // and take the next row into the other bank.
            S_INVWAIT, S_HAND: if (state == S_HAND || inv_done) begin
                inv <= inv_now;
                if (hand_ok) begin
                    p3_inv <= inv_now;
                    p3_sum <= s_sum;
                    p3_len <= d_len;
                    p3_sh <= sh_r;
                    p3_beats <= beats;
                    p3_lastc <= last_count;
                    p3_bank <= wb;
                    p3_active <= 1'b1;
                    rd <= {(AW+1){1'b0}};
                    wb <= ~wb;
                    beats <= {(AW+1){1'b0}};
                    state <= S_LOAD;
                end else begin
                    state <= S_HAND;
                end
            end
            default: state <= S_LOAD;
        endcase
        if (rst) begin
            state <= S_LOAD;
            beats <= {(AW+1){1'b0}};
            q1_v <= 1'b0;
            q2_v <= 1'b0;
            p3_v <= 6'd0;
            p3_active <= 1'b0;
        end
    end

    initial begin out_valid = 1'b0; out_last = 1'b0; out_count = 8'd0; end
    always @(posedge clk) begin
        out_valid <= p3_v[4];
        out_last  <= p3_l[4];
        out_count <= p3_c4;
    end

    genvar i;
    generate
        for (i = 0; i < L; i = i + 1) begin : g_lane
            // parameters of channel (word * L + i)
            reg signed [15:0] gamma_mem [0:DEPTH-1];
            reg signed [63:0] beta_mem  [0:DEPTH-1];
            reg signed [15:0] g0 = 16'sd0;
            reg signed [63:0] b0 = 64'sd0;
            integer jp;
            initial for (jp = 0; jp < DEPTH; jp = jp + 1) begin gamma_mem[jp] = 16'sd0; beta_mem[jp] = 64'sd0; end
            always @(posedge clk) begin
                if (prm_we && (prm_lane == i)) begin
                    gamma_mem[prm_word[AW-1:0]] <= prm_gamma;
                    beta_mem[prm_word[AW-1:0]]  <= prm_beta;
                end
                g0 <= gamma_mem[rd[AW-1:0]];
                b0 <= beta_mem[rd[AW-1:0]];
            end

            wire signed [X_BITS-1:0] x = rdata[i*X_BITS +: X_BITS];
            wire signed [CW-1:0] c_p3  = $signed({1'b0, k0_len}) * x - k0_sum;        // pass 3

            // The square of this lane's loading value (0 outside the beat's count).
            reg [2*X_BITS-1:0] xsq2 = {(2*X_BITS){1'b0}};
            always @(posedge clk) xsq2 <= square_of(q1_x[i*X_BITS +: X_BITS]);
            assign xsq[i*2*X_BITS +: 2*X_BITS] = xsq2;

            // pass 3
            reg signed [CW-1:0]  pc1 = {CW{1'b0}};
            reg signed [15:0]    pg1 = 16'sd0, pg2 = 16'sd0, pg3 = 16'sd0;
            reg signed [63:0]    pb1 = 64'sd0, pb2 = 64'sd0, pb3 = 64'sd0, pb4 = 64'sd0;
            // Products at their exact widths (|c * inv| < 2^(CW-1) * 2^41): a product register with
            // copies of its sign bit makes Yosys 0.23 xilinx_dsp (DSP48E1) leave those copies undriven.
            localparam integer PW = CW + 41;
            localparam integer NW = PW - 28;
            localparam integer TW = NW + 16;
            reg signed [PW-1:0]  prod2 = {PW{1'b0}};
            reg signed [NW-1:0]  n3 = {NW{1'b0}};
            reg signed [TW-1:0]  t4 = {TW{1'b0}};
            reg [OUT_BITS-1:0]   y5 = {OUT_BITS{1'b0}};
            wire signed [63:0] t64 = {{(64-TW){t4[TW-1]}}, t4};
            /* verilator lint_off UNUSED */
            wire signed [PW-1:0] n_full = (prod2 + $signed({{(PW-1){1'b0}}, 1'b1} << 27)) >>> 28;
            /* verilator lint_on UNUSED */
            wire signed [63:0] rc  = (k4_sh == 6'd0) ? 64'sd0 : (64'sd1 <<< (k4_sh - 6'd1));
            wire signed [63:0] ysh = (t64 + pb4 + rc) >>> k4_sh;
            /* verilator lint_off UNUSED */
            wire signed [63:0] ysat = (ysh > YMAX) ? YMAX : ((ysh < YMIN) ? YMIN : ysh);
            /* verilator lint_on UNUSED */
            always @(posedge clk) begin
                pc1   <= c_p3;          pg1 <= g0;  pb1 <= b0;
                prod2 <= pc1 * $signed({1'b0, k1_inv}); pg2 <= pg1; pb2 <= pb1;
                n3    <= n_full[NW-1:0]; pg3 <= pg2; pb3 <= pb2;
                t4    <= n3 * pg3;      pb4 <= pb3;
                y5    <= (i >= p3_c4) ? {OUT_BITS{1'b0}} : ysat[OUT_BITS-1:0];
            end
            assign y_out[i*OUT_BITS +: OUT_BITS] = y5;
        end
    endgenerate

    /* verilator lint_off UNUSED */
    wire unused = ^{p3_l[5], p3_v[5], p3_c5, in_count};
    /* verilator lint_on UNUSED */
endmodule

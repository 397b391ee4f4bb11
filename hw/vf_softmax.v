// vitfpga unit: integer softmax over rows of up to N_MAX scores, L lanes (docs/arithmetic.md 3.5).
//
//   zmax = max z;  w_j = -rshift_round((z_j - zmax) * m, shift)
//   e_j = exp2_neg(w_j) = (2^15 - ((r*(C1 - ((r*C2) >> 10))) >> 10)) >> q,  q = w >> 10, r = w & 1023
//         (0 when q > 31);  inv = floor(2^40 / sum e);  p_j = min(rshift_round(e_j*inv, 40-(OUT-1)), 2^(OUT-1)-1)
//
// Interface: a row arrives as beats of L scores (in_valid, in_count = valid lanes in the beat,
// in_last on its last beat) while in_ready is high. The unit then computes the exponentials
// (pass 2), divides once, and streams the probabilities out (out_valid, out_count, out_last).
// Cycle model (crates/vitfpga-hw/src/units/softmax.rs): with B beats and the last input beat in
// cycle t, outputs appear in cycles t + B + 27 ... t + 2B + 26 (lanes past out_count read 0) and
// in_ready rises again in cycle t + 2B + 24.
module vf_softmax #(
    parameter integer L        = 4,
    parameter integer Z_BITS   = 32,
    parameter integer OUT_BITS = 8,
    parameter integer N_MAX    = 256
) (
    input  wire                  clk,
    input  wire                  rst,
    input  wire [L*Z_BITS-1:0]   z_in,
    input  wire                  in_valid,
    input  wire                  in_last,
    input  wire [7:0]            in_count,
    input  wire [15:0]           mult,
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
    localparam integer SUM_BITS = 16 + $clog2(N_MAX + 1);
    localparam [2:0] S_LOAD = 3'd0, S_EXP = 3'd1, S_EXPWAIT = 3'd2, S_DIV = 3'd3, S_DIVWAIT = 3'd4, S_NORM = 3'd5;
    localparam signed [63:0] PMAX = (64'sd1 <<< (OUT_BITS - 1)) - 64'sd1;
    // Memory lane width: scores sign-extended, or 16-bit exponentials, whichever is wider.
    localparam integer MW = (Z_BITS > 16) ? Z_BITS : 16;
    localparam integer SH = 40 - (OUT_BITS - 1);

    reg [2:0]  state = S_LOAD;
    reg [AW:0] beats = {(AW+1){1'b0}};     // beats in the current row
    reg [7:0]  last_count = 8'd0;          // valid lanes in its last beat
    reg [AW:0] rd = {(AW+1){1'b0}};        // read pointer of passes 2 and 3
    reg signed [Z_BITS-1:0] zmax = {1'b1, {(Z_BITS-1){1'b0}}};
    reg [SUM_BITS-1:0] sum = {SUM_BITS{1'b0}};
    reg [15:0] m_q = 16'd0;
    reg [5:0]  s_q = 6'd0;
    assign in_ready = (state == S_LOAD);

    // Row memory: one word per beat; scores, overwritten by exponentials in pass 2.
    // Written directly by pass 1 (a score beat) or by the end of the pass-2 pipeline (an
    // exponential beat); the two never coincide.
    reg [L*MW-1:0] mem [0:DEPTH-1];
    reg [L*MW-1:0] rdata = {(L*MW){1'b0}};
    wire           we;
    wire [AW-1:0]  waddr;
    wire [L*MW-1:0] wdata;
    integer j;
    initial for (j = 0; j < DEPTH; j = j + 1) mem[j] = {(L*MW){1'b0}};
    // Scores sign-extended to memory lanes; exponentials zero-extended.
    wire [L*MW-1:0] z_word;
    wire [L*MW-1:0] e_word;
    always @(posedge clk) begin
        if (we) mem[waddr] <= wdata;
        rdata <= mem[rd[AW-1:0]];
    end

    // Lane masks: lanes below the beat's count are valid.
    function [L-1:0] mask_of(input [7:0] count);
        integer k;
        begin
            for (k = 0; k < L; k = k + 1) mask_of[k] = (k < count);
        end
    endfunction

    // ---- pass 1: load, running maximum -------------------------------------------------------
    wire accept = in_valid && in_ready;
    wire [L-1:0] in_mask = mask_of(in_count);
    reg signed [Z_BITS-1:0] beat_max;
    integer k1;
    always @(*) begin
        beat_max = {1'b1, {(Z_BITS-1){1'b0}}};
        for (k1 = 0; k1 < L; k1 = k1 + 1)
            if (in_mask[k1] && ($signed(z_in[k1*Z_BITS +: Z_BITS]) > beat_max)) beat_max = $signed(z_in[k1*Z_BITS +: Z_BITS]);
    end

    // ---- pass 2 pipeline: 6 stages per lane, tagged with valid, last, address and mask ---------
    localparam integer PE_DEPTH = 6;
    reg [PE_DEPTH:0] e_v = {(PE_DEPTH+1){1'b0}};
    reg [PE_DEPTH:0] e_l = {(PE_DEPTH+1){1'b0}};
    reg [AW-1:0]     e_a [0:PE_DEPTH];
    reg [L-1:0]      e_m [0:PE_DEPTH];
    integer je;
    initial for (je = 0; je <= PE_DEPTH; je = je + 1) begin e_a[je] = {AW{1'b0}}; e_m[je] = {L{1'b0}}; end
    wire [L*16-1:0]  e_out;      // stage-6 exponentials, 16 bits per lane
    reg  [SUM_BITS-1:0] beat_sum;
    integer k2;
    always @(*) begin
        beat_sum = {SUM_BITS{1'b0}};
        for (k2 = 0; k2 < L; k2 = k2 + 1)
            if (e_m[PE_DEPTH][k2]) beat_sum = beat_sum + {{(SUM_BITS-16){1'b0}}, e_out[k2*16 +: 16]};
    end

    assign we    = accept || e_v[PE_DEPTH];
    assign waddr = accept ? beats[AW-1:0] : e_a[PE_DEPTH];
    assign wdata = accept ? z_word : e_word;

    // ---- reciprocal: inv = floor(2^40 / sum) -------------------------------------------------
    // sum >= 2^15 (the row maximum's exponential is 2^15), which the min15 cell needs.
    wire        div_done;
    wire [40:0] div_quo;
    reg         div_start = 1'b0;
    wire [33:0] sum34 = {{(34-SUM_BITS){1'b0}}, sum};
    vf_recip40_min15 u_div (.clk(clk), .start(div_start), .den(sum34), .done(div_done), .quo(div_quo));
    reg [40:0] inv = 41'd0;

    // ---- pass 3 pipeline: read -> product -> round/saturate ----------------------------------
    reg [1:0] n_v = 2'd0, n_l = 2'd0;
    reg [7:0] n_c0 = 8'd0, n_c1 = 8'd0;

    wire last_beat_addr = (rd + 1'b1 == beats);
    integer js;

    always @(posedge clk) begin
        div_start <= 1'b0;
        e_v <= {e_v[PE_DEPTH-1:0], 1'b0};
        e_l <= {e_l[PE_DEPTH-1:0], 1'b0};
        for (js = PE_DEPTH; js > 0; js = js - 1) begin e_a[js] <= e_a[js-1]; e_m[js] <= e_m[js-1]; end
        n_v <= {n_v[0], 1'b0};
        n_l <= {n_l[0], 1'b0};
        n_c1 <= n_c0;
        case (state)
            S_LOAD: if (accept) begin
                zmax  <= (beats == 0 || beat_max > zmax) ? beat_max : zmax;
                m_q   <= mult;
                s_q   <= shift;
                if (in_last) begin
                    state <= S_EXP;
                    last_count <= in_count;
                    rd <= {(AW+1){1'b0}};
                    sum <= {SUM_BITS{1'b0}};
                end
                beats <= beats + 1'b1;
            end
            S_EXP: begin
                // issue the read of beat rd; its data is in rdata next cycle
                e_v[0] <= 1'b1;
                e_l[0] <= last_beat_addr;
                e_a[0] <= rd[AW-1:0];
                e_m[0] <= last_beat_addr ? mask_of(last_count) : {L{1'b1}};
                rd <= rd + 1'b1;
                if (last_beat_addr) state <= S_EXPWAIT;
            end
            S_EXPWAIT: if (e_v[PE_DEPTH] && e_l[PE_DEPTH]) begin
                state <= S_DIV;
            end
            S_DIV: begin
                div_start <= 1'b1;
                state <= S_DIVWAIT;
            end
            S_DIVWAIT: if (div_done) begin
                inv <= div_quo;
                state <= S_NORM;
                rd <= {(AW+1){1'b0}};
            end
            S_NORM: begin
                n_v[0] <= 1'b1;
                n_l[0] <= last_beat_addr;
                n_c0 <= last_beat_addr ? last_count : L[7:0];
                rd <= rd + 1'b1;
                if (last_beat_addr) begin
                    state <= S_LOAD;
                    beats <= {(AW+1){1'b0}};
                end
            end
            default: state <= S_LOAD;
        endcase
        // end of pass 2: write the exponentials back and accumulate their sum
        if (e_v[PE_DEPTH]) sum <= sum + beat_sum;
        if (rst) begin
            state <= S_LOAD;
            beats <= {(AW+1){1'b0}};
            e_v <= {(PE_DEPTH+1){1'b0}};
            n_v <= 2'd0;
        end
    end

    genvar i;
    generate
        for (i = 0; i < L; i = i + 1) begin : g_lane
            // pass 2, stage 1 (data from rdata): u = z - zmax <= 0
            reg signed [Z_BITS:0] u1 = {(Z_BITS+1){1'b0}};
            // stage 2: u * m
            reg signed [Z_BITS+16:0] um2 = {(Z_BITS+17){1'b0}};
            // stage 3: w = -rshift_round(u*m, shift) >= 0, saturated to 32 halvings
            reg [15:0] w3 = 16'd0;
            // stage 4: r*C2 and keep r, q
            reg [9:0]  r4 = 10'd0;
            reg [5:0]  q4 = 6'd0;
            /* verilator lint_off UNUSED */
            // only the bits above the 10 fraction bits are used
            reg [23:0] rc2_4 = 24'd0;
            // stage 5: r*(C1 - (r*C2 >> 10))
            reg [5:0]  q5 = 6'd0;
            reg [24:0] t5 = 25'd0;
            /* verilator lint_on UNUSED */
            // stage 6: frac >> q
            reg [15:0] e6 = 16'd0;

            wire signed [63:0] um64 = {{(64-Z_BITS-17){um2[Z_BITS+16]}}, um2};
            wire signed [63:0] rc   = (s_q == 6'd0) ? 64'sd0 : (64'sd1 <<< (s_q - 6'd1));
            wire signed [63:0] v    = (um64 + rc) >>> s_q;
            wire signed [63:0] w    = -v;
            // 32 << 10: any w this large gives e = 0, so keep 16 bits, saturated.
            wire [15:0] w_sat = (w >= 64'sd32768) ? 16'hffff : w[15:0];
            /* verilator lint_off UNUSED */
            wire [15:0] frac = 16'd32768 - {1'b0, t5[24:10]};
            /* verilator lint_on UNUSED */

            always @(posedge clk) begin
                u1    <= $signed({rdata[i*MW + Z_BITS - 1], rdata[i*MW +: Z_BITS]}) - $signed({zmax[Z_BITS-1], zmax});
                um2   <= u1 * $signed({1'b0, m_q[14:0]});
                w3    <= w_sat;
                r4    <= w3[9:0];
                q4    <= w3[15:10];
                rc2_4 <= {4'd0, w3[9:0]} * 24'd5567;
                q5    <= q4;
                t5    <= {15'd0, r4} * (25'd21951 - {11'd0, rc2_4[23:10]});
                e6    <= (q5 > 6'd31) ? 16'd0 : (frac >> q5);
            end
            assign e_out[i*16 +: 16] = e6;
            assign e_word[i*MW +: MW] = {{(MW-16){1'b0}}, e6};
            if (MW > Z_BITS) begin : g_sext
                assign z_word[i*MW +: MW] = {{(MW-Z_BITS){z_in[i*Z_BITS + Z_BITS - 1]}}, z_in[i*Z_BITS +: Z_BITS]};
            end else begin : g_same
                assign z_word[i*MW +: MW] = z_in[i*Z_BITS +: Z_BITS];
            end

            // pass 3: p = min(rshift_round(e * inv, SH), PMAX)
            reg [56:0] prod = 57'd0;
            reg [OUT_BITS-1:0] p = {OUT_BITS{1'b0}};
            wire [57:0] rounded = {1'b0, prod} + (58'd1 << (SH - 1));
            /* verilator lint_off UNUSED */
            wire [57:0] shifted = rounded >> SH;
            /* verilator lint_on UNUSED */
            always @(posedge clk) begin
                prod <= {41'd0, rdata[i*MW +: 16]} * {16'd0, inv};
                // lanes past the beat's count output 0
                p    <= (i >= n_c1) ? {OUT_BITS{1'b0}} : (shifted > PMAX[57:0]) ? PMAX[OUT_BITS-1:0] : shifted[OUT_BITS-1:0];
            end
            assign y_out[i*OUT_BITS +: OUT_BITS] = p;
        end
    endgenerate

    initial begin out_valid = 1'b0; out_last = 1'b0; out_count = 8'd0; end
    always @(posedge clk) begin
        out_valid <= n_v[1];
        out_last  <= n_l[1];
        out_count <= n_c1;
    end

    /* verilator lint_off UNUSED */
    wire unused = ^{m_q[15], mult[15], in_count, e_l[PE_DEPTH-1:0]};
    /* verilator lint_on UNUSED */
endmodule

// vitfpga unit: weight-stationary systolic array, R rows (the K of a tile) x C columns (its N).
//
// Weights: while w_shift is high, w_in (one weight row, C lanes of W_BITS) enters row 0 of bank
// w_bank and every row of that bank moves down one; after R shifts the first row sent sits in
// row R-1, so rows are sent in the order R-1, ..., 0.
// Activations: a_in (R lanes of A_BITS, lane r = the activation for row r) with a_valid and the
// bank to use. Row r is delayed r cycles (input skew); the activation moves right one PE group
// per cycle and the partial sums move down. Column results are re-aligned (output de-skew), so
// y_out (C lanes of ACC_BITS) for the vector applied in cycle t appears in cycle
// t + R + G - 1, G = number of PE groups (C, or ceil(C/2) with DSP packing), with y_valid.
// One vector per cycle, and a bank may be reloaded while the other is in use.
module vf_systolic #(
    parameter integer R        = 4,
    parameter integer C        = 4,
    parameter integer A_BITS   = 8,
    parameter integer W_BITS   = 8,
    parameter integer ACC_BITS = 20,
    parameter integer PACK     = 0
) (
    input  wire                  clk,
    input  wire [R*A_BITS-1:0]   a_in,
    input  wire                  a_valid,
    input  wire                  a_bank,
    input  wire                  w_shift,
    input  wire                  w_bank,
    input  wire [C*W_BITS-1:0]   w_in,
    output wire [C*ACC_BITS-1:0] y_out,
    output wire                  y_valid
);
    localparam integer G = (PACK != 0) ? (C + 1) / 2 : C;

    // Nets between PEs as unpacked arrays (one element per position, not one wide vector), so
    // simulators update only the element that changed.
    // Activation, valid and bank entering each PE group from the left, per row: index r*(G+1)+g.
    wire [A_BITS-1:0]   a_h [0:R*(G+1)-1];
    wire                v_h [0:R*(G+1)-1];
    wire                b_h [0:R*(G+1)-1];
    // Partial sums entering each row from above, per column: index r*C+c.
    wire [ACC_BITS-1:0] p_v [0:(R+1)*C-1];
    // Weight shift chain between rows, per column.
    wire [W_BITS-1:0]   w_v [0:(R+1)*C-1];

    genvar r, g, k;
    generate
        for (k = 0; k < C; k = k + 1) begin : g_top
            assign p_v[k] = {ACC_BITS{1'b0}};
            assign w_v[k] = w_in[k*W_BITS +: W_BITS];
        end
        // Input skew: row r passes through r registers (chain index k = after k registers).
        for (r = 0; r < R; r = r + 1) begin : g_skew
            wire [(r+1)*A_BITS-1:0] a_c;
            wire [r:0]              v_c;
            wire [r:0]              b_c;
            assign a_c[A_BITS-1:0] = a_in[r*A_BITS +: A_BITS];
            assign v_c[0] = a_valid;
            assign b_c[0] = a_bank;
            for (k = 1; k <= r; k = k + 1) begin : g_stage
                reg [A_BITS-1:0] a_q = {A_BITS{1'b0}};
                reg              v_q = 1'b0;
                reg              b_q = 1'b0;
                always @(posedge clk) begin
                    a_q <= a_c[(k-1)*A_BITS +: A_BITS];
                    v_q <= v_c[k-1];
                    b_q <= b_c[k-1];
                end
                assign a_c[k*A_BITS +: A_BITS] = a_q;
                assign v_c[k] = v_q;
                assign b_c[k] = b_q;
            end
            assign a_h[r*(G+1)] = a_c[r*A_BITS +: A_BITS];
            assign v_h[r*(G+1)] = v_c[r];
            assign b_h[r*(G+1)] = b_c[r];
        end

        for (r = 0; r < R; r = r + 1) begin : g_row
            for (g = 0; g < G; g = g + 1) begin : g_col
                localparam integer IN = r*(G+1) + g;
                if ((PACK != 0) && (2*g + 1 < C)) begin : g_pair
                    vf_pe_ws_pair #(.A_BITS(A_BITS), .W_BITS(W_BITS), .ACC_BITS(ACC_BITS)) pe (
                        .clk(clk),
                        .a_in(a_h[IN]), .v_in(v_h[IN]), .bank_in(b_h[IN]),
                        .a_out(a_h[IN+1]), .v_out(v_h[IN+1]), .bank_out(b_h[IN+1]),
                        .p_hi_in(p_v[r*C + 2*g]),
                        .p_lo_in(p_v[r*C + 2*g + 1]),
                        .p_hi_out(p_v[(r+1)*C + 2*g]),
                        .p_lo_out(p_v[(r+1)*C + 2*g + 1]),
                        .w_shift(w_shift), .w_bank(w_bank),
                        .w_hi_in(w_v[r*C + 2*g]),
                        .w_lo_in(w_v[r*C + 2*g + 1]),
                        .w_hi_out(w_v[(r+1)*C + 2*g]),
                        .w_lo_out(w_v[(r+1)*C + 2*g + 1])
                    );
                end else begin : g_single
                    localparam integer COL = (PACK != 0) ? 2*g : g;
                    vf_pe_ws #(.A_BITS(A_BITS), .W_BITS(W_BITS), .ACC_BITS(ACC_BITS)) pe (
                        .clk(clk),
                        .a_in(a_h[IN]), .v_in(v_h[IN]), .bank_in(b_h[IN]),
                        .a_out(a_h[IN+1]), .v_out(v_h[IN+1]), .bank_out(b_h[IN+1]),
                        .p_in(p_v[r*C + COL]),
                        .p_out(p_v[(r+1)*C + COL]),
                        .w_shift(w_shift), .w_bank(w_bank),
                        .w_in(w_v[r*C + COL]),
                        .w_out(w_v[(r+1)*C + COL])
                    );
                end
            end
        end

        // Output de-skew: column k (in group GRP) waits G-1-GRP more cycles.
        for (k = 0; k < C; k = k + 1) begin : g_deskew
            localparam integer GRP = (PACK != 0) ? k / 2 : k;
            localparam integer D = G - 1 - GRP;
            wire [(D+1)*ACC_BITS-1:0] d_c;
            assign d_c[ACC_BITS-1:0] = p_v[R*C + k];
            for (r = 1; r <= D; r = r + 1) begin : g_stage
                reg [ACC_BITS-1:0] q = {ACC_BITS{1'b0}};
                always @(posedge clk) q <= d_c[(r-1)*ACC_BITS +: ACC_BITS];
                assign d_c[r*ACC_BITS +: ACC_BITS] = q;
            end
            assign y_out[k*ACC_BITS +: ACC_BITS] = d_c[D*ACC_BITS +: ACC_BITS];
        end
    endgenerate

    // The last group's valid bit leaves the bottom row with its results.
    assign y_valid = v_h[(R-1)*(G+1) + G];

    // The bank tags leaving the right edge and the weights leaving the bottom row are not used.
    // The activations leaving the right edge and the weights leaving the bottom row are unused.
    generate
        for (r = 0; r < R; r = r + 1) begin : g_right
            /* verilator lint_off UNUSED */
            wire unused = ^{a_h[r*(G+1) + G], v_h[r*(G+1) + G], b_h[r*(G+1) + G]};
            /* verilator lint_on UNUSED */
        end
        for (k = 0; k < C; k = k + 1) begin : g_bottom
            /* verilator lint_off UNUSED */
            wire unused = ^w_v[R*C + k];
            /* verilator lint_on UNUSED */
        end
    endgenerate
endmodule

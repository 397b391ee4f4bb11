// vitfpga unit: weight-stationary systolic array on DSP48E2 cascades, R rows (the K of a tile) x
// C columns (its N). One DSP48E2 per PE, instantiated (Yosys 0.23 infers no DSP48E2 registers or
// cascades for UltraScale+: docs/design/dsp-cascade/REPORT.md). UltraScale+ only.
//
// Partial sums move down each column through PCOUT -> PCIN (P = PCIN + A*B, no fabric adder);
// the weight tile sits in the DSPs' B registers: B1 is the shadow bank, loaded through the
// BCOUT -> BCIN chain while w_shift is high (w_in, one weight row of C lanes, enters row 0 and
// every row of the shadow moves down one; after R shifts the first row sent sits in row R-1, so
// rows are sent in the order R-1, ..., 0); B2 is the active bank, copied from B1 (CEB2) in the
// cycle the first vector of a tile (a_first) reaches the PE. Fabric per PE: the activation and
// the swap token that pass the vector right (the DSP's A register cannot feed the next column).
//
// Activations: a_in (R lanes of A_BITS) with a_valid; row r is delayed r cycles. y_out (C lanes
// of ACC_BITS) for the vector applied in cycle t appears in cycle t + R + G + 1 with y_valid, G the
// PE groups along a row (A and M registers add 2 to the fabric array's R + G - 1).
//
// PACK = 1: two columns per DSP48E2 (G = ceil(C/2) groups; an odd last column is paired with a zero
// weight). The weights of columns 2g (hi) and 2g+1 (lo) are packed once at the top of the column,
// wp = w_hi*2^SH + w_lo (A port, 27 bits; A1 shadow through ACOUT -> ACIN, A2 active), the
// activation goes to B. P = 2^SH*H + L holds both sums while the low field cannot spill: the
// cascade is cut into segments of NSEG rows (NSEG*2^(A_BITS+W_BITS-2) < 2^(SH-1)). Each segment
// starts biased by 2^(SH-1) (the DSP's RND constant on row 0; at later segment starts the first
// DSP subtracts the previous segment's field u and re-biases: P = PCIN + A2*B - (u - 2^(SH-1)),
// the product negated in the pre-adder and ALUMODE Z - (W + X + Y)), so the high sum stays in the
// cascade to the bottom and y_hi = P >>> SH; each segment's low sum u - 2^(SH-1) goes to a small
// fabric accumulator that moves down beside the cascade (docs/design/dsp-cascade/REPORT.md 4).
//
// Contract (shadow/active, not two random-access banks): a tile is complete in the shadow
// before its first vector (a_first) enters, a tile is R shifts, and the next tile's first shift
// may come in the cycle that first vector enters, not earlier (w_shift and w_in reach group g g
// cycles late, as the swap token does; per PE, the shadow clock enable holds each row until the
// token has passed it, so the fill overlaps the swap wave instead of waiting R cycles for it). Simulation needs a DSP48E2 model: hw/sim/dsp48e2_model.v under
// `define VITFPGA_DSP48E2_MODEL; synthesis takes the vendor primitive.
module vf_systolic_cascade #(
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
    input  wire                  a_first,
    input  wire                  w_shift,
    input  wire [C*W_BITS-1:0]   w_in,
    output wire [C*ACC_BITS-1:0] y_out,
    output wire                  y_valid
);
    localparam integer G    = (PACK != 0) ? (C + 1) / 2 : C;
    // Packing: field split and segment length (rows a low field holds without spilling).
    localparam integer SH   = 18;
    localparam integer PMAX = 1 << (A_BITS + W_BITS - 2);     // largest |a * w_lo|
    localparam integer NFIT = ((1 << (SH - 1)) - 1) / PMAX;
    localparam integer NSEG = (NFIT < R) ? NFIT : R;
    localparam integer S    = (R + NSEG - 1) / NSEG;            // segments per column
    // Activation and swap token entering each PE group from the left, per row: index r*(G+1)+g.
    wire [A_BITS-1:0] a_h [0:R*(G+1)-1];
    wire              s_h [0:R*(G+1)-1];
    wire              tok = a_valid & a_first;
    // Each group's result (hi = column 2g when packing), before the de-skew.
    wire [ACC_BITS-1:0] y_hi [0:G-1];
    wire [ACC_BITS-1:0] y_lo [0:G-1];
    genvar r, g, k;
    generate
        // Input skew: row r passes through r registers (activation and token).
        for (r = 0; r < R; r = r + 1) begin : g_skew
            wire [(r+1)*A_BITS-1:0] a_c;
            wire [r:0]              s_c;
            assign a_c[A_BITS-1:0] = a_in[r*A_BITS +: A_BITS];
            assign s_c[0] = tok;
            for (k = 1; k <= r; k = k + 1) begin : g_stage
                reg [A_BITS-1:0] a_q = {A_BITS{1'b0}};
                reg              s_q = 1'b0;
                always @(posedge clk) begin
                    a_q <= a_c[(k-1)*A_BITS +: A_BITS];
                    s_q <= s_c[k-1];
                end
                assign a_c[k*A_BITS +: A_BITS] = a_q;
                assign s_c[k] = s_q;
            end
            assign a_h[r*(G+1)] = a_c[r*A_BITS +: A_BITS];
            assign s_h[r*(G+1)] = s_c[r];
        end
        // The activation and token pass right one PE group per cycle (fabric: the DSP's A/B
        // registers cannot feed the next column).
        for (r = 0; r < R; r = r + 1) begin : g_pass
            for (g = 0; g < G; g = g + 1) begin : g_grp
                reg [A_BITS-1:0] a_q = {A_BITS{1'b0}};
                reg              s_q = 1'b0;
                always @(posedge clk) begin
                    a_q <= a_h[r*(G+1) + g];
                    s_q <= s_h[r*(G+1) + g];
                end
                assign a_h[r*(G+1) + g + 1] = a_q;
                assign s_h[r*(G+1) + g + 1] = s_q;
            end
        end
        for (g = 0; g < G; g = g + 1) begin : g_col
            wire [47:0] pc [0:R];
            wire [47:0] p  [0:R-1];
            assign pc[0] = 48'd0;
            // The weight shift reaches group g g cycles after group 0, as the swap token does, so
            // the next tile may start shifting R cycles after a tile's first vector entered
            // rather than R + G - 1 (the token reaches the bottom of group g at R - 1 + g).
            localparam integer WL = (PACK != 0) ? ((2*g + 1 < C) ? 2 : 1) : 1;   // weight lanes
            wire [WL*W_BITS:0] wd [0:g];
            assign wd[0] = {w_in[(PACK != 0 ? 2*g : g)*W_BITS +: WL*W_BITS], w_shift};
            for (k = 1; k <= g; k = k + 1) begin : g_wdelay
                reg [WL*W_BITS:0] q = {(WL*W_BITS+1){1'b0}};
                always @(posedge clk) q <= wd[k-1];
                assign wd[k] = q;
            end
            wire                 shift_g = wd[g][0];
            wire [WL*W_BITS-1:0] w_g     = wd[g][WL*W_BITS:1];
            // A PE's shadow may take the next tile once the swap token of the tile before has
            // passed it (`free`, or the token this very cycle: the active register takes the old
            // shadow at the same edge), and holds from the tile's R-th shift until its own token.
            // So the next tile may start shifting as the previous tile's first vector enters:
            // rows the token has not reached yet hold their shadow, and each row still takes the
            // last R - r shifts it needs (row r is passed r cycles after row 0, and the fill has
            // sent at most r rows by then).
            localparam integer SCW = (R > 1) ? $clog2(R) : 1;
            localparam integer SLAST = R - 1;
            reg [SCW-1:0] shifts = {SCW{1'b0}};          // shifts of the tile being loaded
            wire [31:0]   shifts32 = {{(32-SCW){1'b0}}, shifts};
            wire          fill_done = shift_g && (shifts32 == SLAST);
            always @(posedge clk) if (shift_g) shifts <= fill_done ? {SCW{1'b0}} : shifts + 1'b1;
            wire [R-1:0] ce_shadow;
            for (r = 0; r < R; r = r + 1) begin : g_free
                reg free = 1'b1;
                always @(posedge clk)
                    if (fill_done) free <= 1'b0;
                    else if (s_h[r*(G+1) + g]) free <= 1'b1;
                assign ce_shadow[r] = shift_g & (free | s_h[r*(G+1) + g]);
            end
            if (PACK == 0) begin : g_single
                // Weight in B (B1 shadow through BCIN, B2 active), activation in A.
                wire [17:0] bc [0:R];
                assign bc[0] = 18'd0;
                for (r = 0; r < R; r = r + 1) begin : g_pe
                    localparam integer IN = r*(G+1) + g;
                    /* verilator lint_off PINCONNECTEMPTY */
                    DSP48E2 #(
                        .AREG(1), .ACASCREG(1), .BREG(2), .BCASCREG(1), .MREG(1), .PREG(1),
                        .CREG(0), .DREG(0), .ADREG(0), .INMODEREG(0), .OPMODEREG(0), .ALUMODEREG(0),
                        .CARRYINREG(0), .CARRYINSELREG(0),
                        .A_INPUT("DIRECT"), .B_INPUT(r == 0 ? "DIRECT" : "CASCADE"),
                        .AMULTSEL("A"), .BMULTSEL("B"), .PREADDINSEL("A"), .USE_MULT("MULTIPLY"),
                        .USE_SIMD("ONE48")
                    ) dsp (
                        .CLK(clk),
                        .A({{(30-A_BITS){a_h[IN][A_BITS-1]}}, a_h[IN]}), .ACIN(30'd0), .ACOUT(),
                        .B(r == 0 ? {{(18-W_BITS){w_g[W_BITS-1]}}, w_g} : 18'd0),
                        .BCIN(bc[r]), .BCOUT(bc[r+1]),
                        .C(48'd0), .D(27'd0), .PCIN(pc[r]), .PCOUT(pc[r+1]), .P(p[r]),
                        .CARRYIN(1'b0), .CARRYCASCIN(1'b0), .MULTSIGNIN(1'b0), .CARRYINSEL(3'b000),
                        .CARRYCASCOUT(), .CARRYOUT(), .MULTSIGNOUT(), .OVERFLOW(), .UNDERFLOW(),
                        .PATTERNDETECT(), .PATTERNBDETECT(), .XOROUT(),
                        .INMODE(5'b00000), .ALUMODE(4'b0000),
                        // Row 0: P = M; below: P = PCIN + M.
                        .OPMODE(r == 0 ? 9'b00_000_01_01 : 9'b00_001_01_01),
                        .CEA1(1'b0), .CEA2(1'b1), .CEB1(ce_shadow[r]), .CEB2(s_h[IN]), .CEM(1'b1), .CEP(1'b1),
                        .CEC(1'b0), .CED(1'b0), .CEAD(1'b0), .CEINMODE(1'b0), .CECTRL(1'b0),
                        .CEALUMODE(1'b0), .CECARRYIN(1'b0),
                        .RSTA(1'b0), .RSTB(1'b0), .RSTC(1'b0), .RSTD(1'b0), .RSTM(1'b0), .RSTP(1'b0),
                        .RSTINMODE(1'b0), .RSTCTRL(1'b0), .RSTALUMODE(1'b0), .RSTALLCARRYIN(1'b0)
                    );
                    /* verilator lint_on PINCONNECTEMPTY */
                end
                assign y_hi[g] = p[R-1][ACC_BITS-1:0];
                assign y_lo[g] = {ACC_BITS{1'b0}};
                /* verilator lint_off UNUSED */
                wire unused = ^{pc[R], bc[R], p[R-1][47:ACC_BITS]};
                /* verilator lint_on UNUSED */
            end else begin : g_pair
                // Packed weight at the top: (w_hi << SH) + w_lo, upper bits w_hi - [w_lo < 0].
                wire [W_BITS-1:0] w_hi = w_g[W_BITS-1:0];
                wire [W_BITS-1:0] w_lo;
                if (2*g + 1 < C) begin : g_lo
                    assign w_lo = w_g[WL*W_BITS-1 -: W_BITS];
                end else begin : g_zero
                    assign w_lo = {W_BITS{1'b0}};
                end
                wire [26-SH:0] hi_adj = {{(27-SH-W_BITS){w_hi[W_BITS-1]}}, w_hi} - {{(26-SH){1'b0}}, w_lo[W_BITS-1]};
                wire [26:0]    wp     = {hi_adj, {(SH-W_BITS){w_lo[W_BITS-1]}}, w_lo};
                wire [29:0] ac [0:R];
                assign ac[0] = 30'd0;
                for (r = 0; r < R; r = r + 1) begin : g_pe
                    localparam integer IN    = r*(G+1) + g;
                    // Later segment starts: P = PCIN - (C + (-A2)*B), C = u - 2^(SH-1).
                    localparam [0:0] FIX = (r > 0) && (r % NSEG == 0);
                    wire [47:0] c_in;
                    if (FIX) begin : g_fix
                        wire [SH-1:0] u = p[r-1][SH-1:0];
                        assign c_in = {{(48-SH+1){~u[SH-1]}}, u[SH-2:0]};
                    end else begin : g_nofix
                        assign c_in = 48'd0;
                    end
                    /* verilator lint_off PINCONNECTEMPTY */
                    DSP48E2 #(
                        .AREG(2), .ACASCREG(1), .BREG(1), .BCASCREG(1), .MREG(1), .PREG(1),
                        .CREG(0), .DREG(0), .ADREG(0), .INMODEREG(0), .OPMODEREG(0), .ALUMODEREG(0),
                        .CARRYINREG(0), .CARRYINSELREG(0),
                        .A_INPUT(r == 0 ? "DIRECT" : "CASCADE"), .B_INPUT("DIRECT"),
                        .AMULTSEL(FIX ? "AD" : "A"), .BMULTSEL("B"), .PREADDINSEL("A"),
                        .USE_MULT("MULTIPLY"), .USE_SIMD("ONE48"), .RND(48'd1 << (SH-1))
                    ) dsp (
                        .CLK(clk),
                        .A(r == 0 ? {{3{wp[26]}}, wp} : 30'd0), .ACIN(ac[r]), .ACOUT(ac[r+1]),
                        .B({{(18-A_BITS){a_h[IN][A_BITS-1]}}, a_h[IN]}), .BCIN(18'd0), .BCOUT(),
                        .C(c_in), .D(27'd0), .PCIN(pc[r]), .PCOUT(pc[r+1]), .P(p[r]),
                        .CARRYIN(1'b0), .CARRYCASCIN(1'b0), .MULTSIGNIN(1'b0), .CARRYINSEL(3'b000),
                        .CARRYCASCOUT(), .CARRYOUT(), .MULTSIGNOUT(), .OVERFLOW(), .UNDERFLOW(),
                        .PATTERNDETECT(), .PATTERNBDETECT(), .XOROUT(),
                        .INMODE(FIX ? 5'b01000 : 5'b00000), .ALUMODE(FIX ? 4'b0011 : 4'b0000),
                        // OPMODE {W, Z, Y, X}, X = Y = M. Row 0: W = RND (bias), Z = 0; later
                        // segment starts: W = C, Z = PCIN; the rest: W = 0, Z = PCIN.
                        .OPMODE(r == 0 ? 9'b10_000_01_01 : FIX ? 9'b11_001_01_01 : 9'b00_001_01_01),
                        .CEA1(ce_shadow[r]), .CEA2(s_h[IN]), .CEB1(1'b0), .CEB2(1'b1), .CEM(1'b1), .CEP(1'b1),
                        .CEC(1'b0), .CED(1'b0), .CEAD(1'b0), .CEINMODE(1'b0), .CECTRL(1'b0),
                        .CEALUMODE(1'b0), .CECARRYIN(1'b0),
                        .RSTA(1'b0), .RSTB(1'b0), .RSTC(1'b0), .RSTD(1'b0), .RSTM(1'b0), .RSTP(1'b0),
                        .RSTINMODE(1'b0), .RSTCTRL(1'b0), .RSTALUMODE(1'b0), .RSTALLCARRYIN(1'b0)
                    );
                    /* verilator lint_on PINCONNECTEMPTY */
                end
                // High sum: the biased field split is wiring (P = 2^SH*H + u, 0 <= u < 2^SH).
                // (Sign-extended or cut to ACC_BITS: the sum fits ACC_BITS by construction.)
                wire signed [47-SH:0]     hi_field = p[R-1][47:SH];
                /* verilator lint_off WIDTH */
                wire signed [ACC_BITS-1:0] hi_acc  = hi_field;
                /* verilator lint_on WIDTH */
                assign y_hi[g] = hi_acc;
                // Low sums: segment k ends at row E; its sum u - 2^(SH-1) joins the running low sum,
                // delayed to move down with the cascade. The last segment's add is combinational,
                // so y_lo appears with y_hi.
                wire [ACC_BITS-1:0] lacc [0:S-1];   // the low sum after each registered segment
                wire [ACC_BITS-1:0] lo_final;
                assign lacc[0] = {ACC_BITS{1'b0}};
                for (k = 0; k < S; k = k + 1) begin : g_seg
                    localparam integer E  = (((k + 1) * NSEG < R) ? (k + 1) * NSEG : R) - 1;
                    localparam integer EP = k * NSEG - 1;
                    localparam integer DL = (k == 0) ? 0 : E - EP - 1;
                    wire [SH-1:0] u = p[E][SH-1:0];
                    // u - 2^(SH-1) as SH signed bits, sign-extended or cut to ACC_BITS.
                    /* verilator lint_off UNUSEDSIGNAL */
                    wire signed [SH-1:0] l_s = {~u[SH-1], u[SH-2:0]};
                    /* verilator lint_on UNUSEDSIGNAL */
                    /* verilator lint_off WIDTH */
                    wire signed [ACC_BITS-1:0] l_seg = l_s;
                    /* verilator lint_on WIDTH */
                    wire [ACC_BITS-1:0] prev;
                    if (DL == 0) begin : g_nd
                        assign prev = lacc[k];
                    end else begin : g_d
                        reg [ACC_BITS-1:0] d [0:DL-1];
                        integer j;
                        initial for (j = 0; j < DL; j = j + 1) d[j] = {ACC_BITS{1'b0}};
                        always @(posedge clk) begin
                            d[0] <= lacc[k];
                            for (j = 1; j < DL; j = j + 1) d[j] <= d[j-1];
                        end
                        assign prev = d[DL-1];
                    end
                    if (k == S - 1) begin : g_last
                        assign lo_final = prev + l_seg;
                    end else begin : g_reg
                        reg [ACC_BITS-1:0] q = {ACC_BITS{1'b0}};
                        always @(posedge clk) q <= prev + l_seg;
                        assign lacc[k+1] = q;
                    end
                end
                assign y_lo[g] = lo_final;
                /* verilator lint_off UNUSED */
                wire unused = ^{pc[R], ac[R], hi_field};
                /* verilator lint_on UNUSED */
            end
        end
        // Output de-skew: group g waits G-1-g cycles.
        for (k = 0; k < C; k = k + 1) begin : g_out
            localparam integer GRP = (PACK != 0) ? k / 2 : k;
            localparam integer D = G - 1 - GRP;
            wire [(D+1)*ACC_BITS-1:0] d_c;
            if (PACK != 0 && k % 2 == 1) begin : g_lo
                assign d_c[ACC_BITS-1:0] = y_lo[GRP];
            end else begin : g_hi
                assign d_c[ACC_BITS-1:0] = y_hi[GRP];
            end
            for (r = 1; r <= D; r = r + 1) begin : g_stage
                reg [ACC_BITS-1:0] q = {ACC_BITS{1'b0}};
                always @(posedge clk) q <= d_c[(r-1)*ACC_BITS +: ACC_BITS];
                assign d_c[r*ACC_BITS +: ACC_BITS] = q;
            end
            assign y_out[k*ACC_BITS +: ACC_BITS] = d_c[D*ACC_BITS +: ACC_BITS];
        end
        // The activations and tokens leaving the right edge are not used; neither is the low sum
        // of an odd last column's zero partner, nor (unpacked) any low sum.
        for (r = 0; r < R; r = r + 1) begin : g_right
            /* verilator lint_off UNUSED */
            wire unused = ^{a_h[r*(G+1) + G], s_h[r*(G+1) + G]};
            /* verilator lint_on UNUSED */
        end
        for (g = 0; g < G; g = g + 1) begin : g_unused
            /* verilator lint_off UNUSED */
            wire unused = ^{y_hi[g], y_lo[g]};
            /* verilator lint_on UNUSED */
        end
    endgenerate
    // y_valid: a_valid delayed by the latency R + G + 1.
    localparam integer LAT = R + G + 1;
    reg [LAT-1:0] v_d = {LAT{1'b0}};
    always @(posedge clk) v_d <= {v_d[LAT-2:0], a_valid};
    assign y_valid = v_d[LAT-1];
endmodule

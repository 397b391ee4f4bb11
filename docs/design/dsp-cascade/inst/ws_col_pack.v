// Packed weight-stationary column: each DSP48E2 computes a*w_hi and a*w_lo at once
// (WP486/WP487 packing; SH = 18 below, generalised by the SH parameter), R rows, partial sums through PCOUT->PCIN.
//   A : packed weight wp = w_hi*2^18 + w_lo (27 bits), formed once at the top of the column;
//       AREG=2: A1 = shadow (ACOUT(A1)->ACIN shift chain, CEA1 = w_shift), A2 = active (CEA2 = swap).
//   B : activation (BREG=1).  M : MREG=1.  P : PREG=1.
// The low field holds only an 18-bit signed sum, so the cascade is cut into segments of NSEG rows
// (NSEG <= 7 for full-range int8). Every segment starts biased by 2^17, which makes the low field
// offset binary: at a segment end Pb = 2^18*Hc + u, u = L_seg + 2^17 in [0, 2^18), so
// Hc = Pb >>> 18 (wiring) and L_seg = u - 2^17.
// At a boundary the first DSP of the next segment removes u and re-adds the bias inside the
// cascade: P = PCIN + C + CARRYIN + A*B with C + CARRYIN = 2^17 - u (C = sext({u[17], ~u[16:0]}),
// CARRYIN = 1), so the high sum never leaves the cascade. The low sums go to a small fabric
// accumulator that moves down with the partial sums (delay NSEG-1, adder, register).
module ws_col_pack #(parameter integer R = 16, parameter integer NSEG = 7, parameter integer ACC = 24,
    // field split: 18 (full-range int8, NSEG <= 7) or 19 (w_hi in [-127,127], NSEG <= 15)
    parameter integer SH = 18,
    // 0: boundary C = 2^(SH-1) - u via SH-1 inverters + CARRYIN; 1: no inverters: the boundary DSP
    // negates its product in the pre-adder (AD = 0 - A2) and subtracts: P = PCIN - (C + AD*B), C = u - 2^(SH-1)
    parameter integer FIXMODE = 0) (
    input  wire           clk,
    input  wire [8*R-1:0] a,        // row i activation, pre-skewed by i cycles
    input  wire [R-1:0]   swap,
    input  wire           w_shift,
    input  wire [7:0]     w_hi_in,
    input  wire [7:0]     w_lo_in,
    output reg  [ACC-1:0] y_hi,
    output reg  [ACC-1:0] y_lo
);
    // Pack at the top: (w_hi << SH) + sext(w_lo): the upper 27-SH bits are w_hi - (w_lo < 0).
    wire [26-SH:0] hi_adj = {{(27-SH-8){w_hi_in[7]}}, w_hi_in} - {{(26-SH){1'b0}}, w_lo_in[7]};
    wire [26:0] wp = {hi_adj, {(SH-8){w_lo_in[7]}}, w_lo_in};

    wire [47:0] pc [0:R];
    wire [29:0] ac [0:R];
    wire [47:0] p  [0:R-1];
    assign pc[0] = 48'd0;
    assign ac[0] = 30'd0;
    // low-field accumulator, one stage per segment end; lacc[s] valid one cycle after row e_s's P
    localparam integer S = (R + NSEG - 1) / NSEG;
    wire signed [ACC-1:0] lacc [0:S];
    assign lacc[0] = {ACC{1'b0}};
    genvar i, k;
    generate for (i = 0; i < R; i = i + 1) begin : pe
        localparam FIRST = (i % NSEG) == 0;
        wire [47:0] c_in;
        wire        cin;
        localparam NEG = FIRST && i > 0 && FIXMODE == 1;
        if (FIRST && i > 0) begin : g_fix
            wire [SH-1:0] u = p[i-1][SH-1:0];
            if (FIXMODE == 1) begin : g_sub
                assign c_in = {{(48-SH+1){~u[SH-1]}}, u[SH-2:0]};   // u - 2^(SH-1)
                assign cin = 1'b0;
            end else begin : g_add
                assign c_in = {{(48-SH){u[SH-1]}}, u[SH-1], ~u[SH-2:0]};
                assign cin = 1'b1;
            end
        end else begin : g_nofix
            assign c_in = 48'd0;
            assign cin = 1'b0;
        end
        DSP48E2 #(
            .AREG(2), .ACASCREG(1), .BREG(1), .BCASCREG(1), .MREG(1), .PREG(1),
            .CREG(0), .DREG(0), .ADREG(0), .INMODEREG(0), .OPMODEREG(0), .ALUMODEREG(0),
            .CARRYINREG(0), .CARRYINSELREG(0),
            .A_INPUT(i == 0 ? "DIRECT" : "CASCADE"), .B_INPUT("DIRECT"),
            .AMULTSEL(NEG ? "AD" : "A"), .BMULTSEL("B"), .USE_MULT("MULTIPLY"), .USE_SIMD("ONE48"),
            .RND(48'd1 << (SH-1))
        ) dsp (
            .CLK(clk),
            .A(i == 0 ? {{3{wp[26]}}, wp} : 30'd0), .ACIN(ac[i]), .ACOUT(ac[i+1]),
            .B({{10{a[8*i+7]}}, a[8*i +: 8]}), .BCIN(18'd0),
            .C(c_in), .D(27'd0), .PCIN(pc[i]), .PCOUT(pc[i+1]), .P(p[i]),
            .CARRYIN(cin), .CARRYCASCIN(1'b0), .MULTSIGNIN(1'b0), .CARRYINSEL(3'b000),
            .INMODE(NEG ? 5'b01000 : 5'b00000), .ALUMODE(NEG ? 4'b0011 : 4'b0000),
            // OPMODE = {W, Z, Y, X}; X = Y = M.
            //   row 0:                W = RND (bias), Z = 0
            //   other segment starts: W = C (remove u, re-bias), Z = PCIN
            //   others:               W = 0, Z = PCIN
            .OPMODE(i == 0 ? 9'b10_000_01_01 : FIRST ? 9'b11_001_01_01 : 9'b00_001_01_01),
            .CEA1(w_shift), .CEA2(swap[i]), .CEB1(1'b0), .CEB2(1'b1), .CEM(1'b1), .CEP(1'b1),
            .CEC(1'b0), .CED(1'b0), .CEAD(1'b0), .CEINMODE(1'b0), .CECTRL(1'b0),
            .CEALUMODE(1'b0), .CECARRYIN(1'b0),
            .RSTA(1'b0), .RSTB(1'b0), .RSTC(1'b0), .RSTD(1'b0), .RSTM(1'b0), .RSTP(1'b0),
            .RSTINMODE(1'b0), .RSTCTRL(1'b0), .RSTALUMODE(1'b0), .RSTALLCARRYIN(1'b0)
        );
    end endgenerate

    // Segment ends e_s = min(s*NSEG + NSEG, R) - 1. lacc[s+1] <= delay(lacc[s]) + (u_s - 2^17).
    generate for (k = 0; k < S; k = k + 1) begin : seg
        localparam integer E  = ((k + 1) * NSEG < R ? (k + 1) * NSEG : R) - 1;
        localparam integer EP = k * NSEG - 1;                 // previous end (-1 for none)
        localparam integer DL = (k == 0) ? 0 : E - EP - 1;    // extra cycles to align lacc[k]
        wire [SH-1:0] u = p[E][SH-1:0];
        wire signed [ACC-1:0] l_seg = {{(ACC-SH+1){~u[SH-1]}}, u[SH-2:0]};   // u - 2^(SH-1)
        wire signed [ACC-1:0] prev;
        if (DL == 0) begin : g_nd
            assign prev = lacc[k];
        end else begin : g_d
            reg [ACC-1:0] d [0:DL-1];
            integer j;
            always @(posedge clk) begin
                d[0] <= lacc[k];
                for (j = 1; j < DL; j = j + 1) d[j] <= d[j-1];
            end
            assign prev = d[DL-1];
        end
        reg signed [ACC-1:0] q;
        always @(posedge clk) q <= prev + l_seg;
        assign lacc[k+1] = q;
    end endgenerate

    // Outputs, both one cycle after the last row's P: high field = P >>> 18 (no correction needed).
    always @(posedge clk) y_hi <= p[R-1][SH +: ACC];
    always @(*) y_lo = lacc[S];
endmodule

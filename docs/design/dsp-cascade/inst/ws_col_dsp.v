// Weight-stationary column of R PEs, one DSP48E2 per PE (direct instantiation).
//   A  : activation of row i (8-bit signed, pre-skewed by the caller), AREG=1.
//   B  : weight. BREG=2: B1 = shadow bank, loaded by a shift chain that runs down the column
//        through BCOUT(B1)->BCIN (BCASCREG=1), CEB1 = w_shift; B2 = active bank, CEB2 = swap[i]
//        (a one-cycle token that travels with the first activation of the new tile).
//   M  : MREG=1.  P : PREG=1, P = PCIN + A*B2 (row 0: P = A*B2), partial sums via PCOUT->PCIN.
// Same cycle behaviour as ../exp/col_ws_copy.v (ar, b1, b2, m, q registers).
module ws_col_dsp #(parameter integer R = 4, parameter integer ACC = 32) (
    input  wire           clk,
    input  wire [8*R-1:0] a,
    input  wire [R-1:0]   swap,
    input  wire           w_shift,
    input  wire [7:0]     w_in,
    output wire [ACC-1:0] y
);
    wire [47:0] pc [0:R];   // PCOUT of row i-1 -> PCIN of row i
    wire [17:0] bc [0:R];   // BCOUT of row i-1 -> BCIN of row i
    wire [47:0] p_last;
    assign pc[0] = 48'd0;
    assign bc[0] = 18'd0;
    genvar i;
    generate for (i = 0; i < R; i = i + 1) begin : pe
        wire [47:0] p;
        DSP48E2 #(
            .AREG(1), .ACASCREG(1), .BREG(2), .BCASCREG(1), .MREG(1), .PREG(1),
            .CREG(0), .DREG(0), .ADREG(0), .INMODEREG(0), .OPMODEREG(0), .ALUMODEREG(0),
            .CARRYINREG(0), .CARRYINSELREG(0),
            .A_INPUT("DIRECT"), .B_INPUT(i == 0 ? "DIRECT" : "CASCADE"),
            .AMULTSEL("A"), .BMULTSEL("B"), .USE_MULT("MULTIPLY"), .USE_SIMD("ONE48")
        ) dsp (
            .CLK(clk),
            .A({{22{a[8*i+7]}}, a[8*i +: 8]}), .ACIN(30'd0),
            .B(i == 0 ? {{10{w_in[7]}}, w_in} : 18'd0), .BCIN(bc[i]), .BCOUT(bc[i+1]),
            .C(48'd0), .D(27'd0), .PCIN(pc[i]), .PCOUT(pc[i+1]), .P(p),
            .CARRYIN(1'b0), .CARRYCASCIN(1'b0), .MULTSIGNIN(1'b0), .CARRYINSEL(3'b000),
            .INMODE(5'b00000), .ALUMODE(4'b0000),
            // W=0, Z = PCIN (row 0: 0), Y = M, X = M
            .OPMODE(i == 0 ? 9'b00_000_01_01 : 9'b00_001_01_01),
            .CEA1(1'b0), .CEA2(1'b1), .CEB1(w_shift), .CEB2(swap[i]), .CEM(1'b1), .CEP(1'b1),
            .CEC(1'b0), .CED(1'b0), .CEAD(1'b0), .CEINMODE(1'b0), .CECTRL(1'b0),
            .CEALUMODE(1'b0), .CECARRYIN(1'b0),
            .RSTA(1'b0), .RSTB(1'b0), .RSTC(1'b0), .RSTD(1'b0), .RSTM(1'b0), .RSTP(1'b0),
            .RSTINMODE(1'b0), .RSTCTRL(1'b0), .RSTALUMODE(1'b0), .RSTALLCARRYIN(1'b0)
        );
        if (i == R - 1) begin : g_last
            assign p_last = p;
        end
    end endgenerate
    assign y = p_last[ACC-1:0];
endmodule

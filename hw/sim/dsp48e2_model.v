// Simulation-only DSP48E2 model for vitfpga's co-simulation (Verilator, Icarus): the subset of the
// UltraScale+ primitive the cascade arrays use, with the primitive's name and ports. Compiled only
// under `define VITFPGA_DSP48E2_MODEL (vitfpga's simulators define it); synthesis (Yosys, Vivado)
// and vendor simulation take the real primitive. Checked against Xilinx's UNISIM DSP48E2 with
// random inputs in docs/design/dsp-cascade (model/tb_diff.v, 0 mismatches on 8 configurations).
`ifdef VITFPGA_DSP48E2_MODEL
// The primitive's full port list, most of it unused by the subset; string parameters compared at
// their declared widths.
/* verilator lint_off UNUSEDSIGNAL */
/* verilator lint_off WIDTH */
// Subset: AREG/BREG 0..2, ACASCREG/BCASCREG, MREG/PREG 0..1, CREG 0..1, A_INPUT/B_INPUT,
// AMULTSEL A|AD (pre-adder with ADREG=0, DREG=0), BMULTSEL B, INMODEREG=OPMODEREG=ALUMODEREG=
// CARRYINREG=CARRYINSELREG=0, USE_SIMD ONE48, OPMODE X,Y in {00 M-pair 01}, Z in {000,001,010,011},
// W in {00,01,10,11}, ALUMODE 0000 (Z+W+X+Y+CIN) or 0011 (Z-(W+X+Y+CIN)), CARRYINSEL 000.
module DSP48E2 #(
    parameter integer ACASCREG = 1, parameter integer ADREG = 1, parameter integer ALUMODEREG = 1,
    parameter AMULTSEL = "A", parameter integer AREG = 1, parameter AUTORESET_PATDET = "NO_RESET",
    parameter AUTORESET_PRIORITY = "RESET", parameter A_INPUT = "DIRECT",
    parameter integer BCASCREG = 1, parameter BMULTSEL = "B", parameter integer BREG = 1,
    parameter B_INPUT = "DIRECT", parameter integer CARRYINREG = 1, parameter integer CARRYINSELREG = 1,
    parameter integer CREG = 1, parameter integer DREG = 1, parameter integer INMODEREG = 1,
    parameter [3:0] IS_ALUMODE_INVERTED = 4'b0000, parameter [0:0] IS_CARRYIN_INVERTED = 1'b0,
    parameter [0:0] IS_CLK_INVERTED = 1'b0, parameter [4:0] IS_INMODE_INVERTED = 5'b00000,
    parameter [8:0] IS_OPMODE_INVERTED = 9'b000000000, parameter [0:0] IS_RSTALLCARRYIN_INVERTED = 1'b0,
    parameter [0:0] IS_RSTALUMODE_INVERTED = 1'b0, parameter [0:0] IS_RSTA_INVERTED = 1'b0,
    parameter [0:0] IS_RSTB_INVERTED = 1'b0, parameter [0:0] IS_RSTCTRL_INVERTED = 1'b0,
    parameter [0:0] IS_RSTC_INVERTED = 1'b0, parameter [0:0] IS_RSTD_INVERTED = 1'b0,
    parameter [0:0] IS_RSTINMODE_INVERTED = 1'b0, parameter [0:0] IS_RSTM_INVERTED = 1'b0,
    parameter [0:0] IS_RSTP_INVERTED = 1'b0, parameter [47:0] MASK = 48'h3FFFFFFFFFFF,
    parameter integer MREG = 1, parameter integer OPMODEREG = 1, parameter [47:0] PATTERN = 48'h0,
    parameter PREADDINSEL = "A", parameter integer PREG = 1, parameter [47:0] RND = 48'h0,
    parameter SEL_MASK = "MASK", parameter SEL_PATTERN = "PATTERN", parameter USE_MULT = "MULTIPLY",
    parameter USE_PATTERN_DETECT = "NO_PATDET", parameter USE_SIMD = "ONE48",
    parameter USE_WIDEXOR = "FALSE", parameter XORSIMD = "XOR24_48_96"
) (
    output [29:0] ACOUT, output [17:0] BCOUT, output CARRYCASCOUT, output [3:0] CARRYOUT,
    output MULTSIGNOUT, output OVERFLOW, output [47:0] P, output PATTERNBDETECT,
    output PATTERNDETECT, output [47:0] PCOUT, output UNDERFLOW, output [7:0] XOROUT,
    input [29:0] A, input [29:0] ACIN, input [3:0] ALUMODE, input [17:0] B, input [17:0] BCIN,
    input [47:0] C, input CARRYCASCIN, input CARRYIN, input [2:0] CARRYINSEL,
    input CEA1, input CEA2, input CEAD, input CEALUMODE, input CEB1, input CEB2, input CEC,
    input CECARRYIN, input CECTRL, input CED, input CEINMODE, input CEM, input CEP, input CLK,
    input [26:0] D, input [4:0] INMODE, input MULTSIGNIN, input [8:0] OPMODE, input [47:0] PCIN,
    input RSTA, input RSTALLCARRYIN, input RSTALUMODE, input RSTB, input RSTC, input RSTCTRL,
    input RSTD, input RSTINMODE, input RSTM, input RSTP
);
    initial begin
        if (INMODEREG != 0 || OPMODEREG != 0 || ALUMODEREG != 0 || CARRYINREG != 0 || CARRYINSELREG != 0
            || DREG != 0 || ADREG != 0 || USE_SIMD != "ONE48" || USE_MULT != "MULTIPLY"
            || BMULTSEL != "B" || PREADDINSEL != "A" || USE_PATTERN_DETECT != "NO_PATDET"
            || IS_CLK_INVERTED != 0 || IS_INMODE_INVERTED != 0 || IS_OPMODE_INVERTED != 0
            || IS_ALUMODE_INVERTED != 0 || IS_CARRYIN_INVERTED != 0 || AREG > 2 || BREG > 2
            || MREG > 1 || PREG > 1 || CREG > 1) begin
            $display("DSP48E2 subset model: unsupported configuration in %m");
            $finish;
        end
    end
    // A and B input registers (UG579 / UNISIM semantics: with xREG=2, x2 loads from x1).
    wire [29:0] a_src = (A_INPUT == "CASCADE") ? ACIN : A;
    wire [17:0] b_src = (B_INPUT == "CASCADE") ? BCIN : B;
    reg [29:0] a1 = 30'd0, a2 = 30'd0;
    reg [17:0] b1 = 18'd0, b2 = 18'd0;
    always @(posedge CLK) begin
        if (RSTA || AREG == 0) a1 <= 30'd0; else if (CEA1) a1 <= a_src;
        if (RSTA || AREG == 0) a2 <= 30'd0; else if (CEA2) a2 <= (AREG == 2) ? a1 : a_src;
        if (RSTB || BREG == 0) b1 <= 18'd0; else if (CEB1) b1 <= b_src;
        if (RSTB) b2 <= 18'd0; else if (CEB2) b2 <= (BREG == 2) ? b1 : b_src;
    end
    wire [29:0] a_alu = (AREG != 0) ? a2 : a_src;
    wire [17:0] b_alu = (BREG != 0) ? b2 : b_src;
    assign ACOUT = (ACASCREG == AREG) ? a_alu : a1;
    assign BCOUT = (BCASCREG == BREG) ? b_alu : b1;
    // Multiplier operands.
    wire [26:0] a_pre = INMODE[1] ? 27'd0 : (INMODE[0] ? a1[26:0] : a_alu[26:0]);
    wire [26:0] d_pre = INMODE[2] ? D : 27'd0;
    wire [26:0] ad    = INMODE[3] ? (d_pre - a_pre) : (d_pre + a_pre);
    wire signed [26:0] am = (AMULTSEL == "AD") ? ad : a_pre;
    wire signed [17:0] bm = INMODE[4] ? b1 : b_alu;
    wire signed [44:0] prod = am * bm;
    reg  signed [44:0] m_q = 45'sd0;
    always @(posedge CLK) if (RSTM) m_q <= 45'sd0; else if (CEM) m_q <= prod;
    wire signed [44:0] m = (MREG != 0) ? m_q : prod;
    // C register.
    reg [47:0] c_q = 48'd0;
    always @(posedge CLK) if (RSTC || CREG == 0) c_q <= 48'd0; else if (CEC) c_q <= C;
    wire [47:0] c_v = (CREG != 0) ? c_q : C;
    // ALU.
    reg  [47:0] p_q = 48'd0;
    wire [47:0] xy = (OPMODE[3:0] == 4'b0101) ? {{3{m[44]}}, m} :
                     (OPMODE[3:0] == 4'b0000) ? 48'd0 : 48'hx;
    reg  [47:0] z, w;
    always @(*) begin
        case (OPMODE[6:4])
            3'b000: z = 48'd0;
            3'b001: z = PCIN;
            3'b010: z = p_q;
            3'b011: z = c_v;
            default: z = 48'hx;
        endcase
        case (OPMODE[8:7])
            2'b00: w = 48'd0;
            2'b01: w = p_q;
            2'b10: w = RND;
            default: w = c_v;
        endcase
    end
    wire cin = (CARRYINSEL == 3'b000) ? CARRYIN : 1'bx;
    wire [47:0] sum = (ALUMODE == 4'b0000) ? z + w + xy + cin :
                      (ALUMODE == 4'b0011) ? z - (w + xy + cin) : 48'hx;
    // P feedback (Z=010, W=01) is only meaningful with PREG=1; like UNISIM, p_q stays 0 if PREG=0.
    always @(posedge CLK) if (RSTP) p_q <= 48'd0; else if (CEP && PREG != 0) p_q <= sum;
    assign P = (PREG != 0) ? p_q : sum;
    assign PCOUT = P;
    assign CARRYCASCOUT = 1'b0; assign CARRYOUT = 4'd0; assign MULTSIGNOUT = 1'b0;
    assign OVERFLOW = 1'b0; assign UNDERFLOW = 1'b0; assign PATTERNDETECT = 1'b0;
    assign PATTERNBDETECT = 1'b0; assign XOROUT = 8'd0;
endmodule
/* verilator lint_on WIDTH */
/* verilator lint_on UNUSEDSIGNAL */
`endif
